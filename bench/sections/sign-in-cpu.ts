/**
 * CPU per sign-in of the functions that hash no password (issue 8, goal 6): captcha (a code by
 * email), auth0 (a token exchange), phone-call (a call placed), passkey (options, then verify).
 * Goal: p50 <= 1 ms.
 *
 * Each function's own app, with its real config, validation, rate limiter and once-store (in
 * memory, as on Node) and its real vendor clients (captcha siteverify, OIDC JWKS and signature,
 * Twilio), measured with `process.cpuUsage()` around each request: every thread of this process,
 * so work Node hands to its thread pool (Web Crypto) counts too. Left out: Appwrite (users and
 * Messaging in memory, `bench/in-memory.ts`) and the vendors' side (answered in-process, without a
 * socket), whose cost is a network round trip, not CPU of the function. What the client does
 * (the authenticator's signature) happens between measured requests.
 *
 * @module
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Hono } from 'hono';
import { createAuth0App } from '../../functions/auth0/app.js';
import { auth0ConfigSchema } from '../../functions/auth0/config.js';
import { createCaptchaApp } from '../../functions/captcha/app.js';
import { captchaFunctionConfigSchema } from '../../functions/captcha/config.js';
import type { JwtAccounts } from '../../functions/passkey/account.js';
import { createPasskeyApp } from '../../functions/passkey/app.js';
import { completeConfig, passkeyConfigSchema } from '../../functions/passkey/config.js';
import { createMemoryPasskeyStore } from '../../functions/passkey/store.js';
import { createPhoneCallApp } from '../../functions/phone-call/app.js';
import { phoneCallConfigSchema } from '../../functions/phone-call/config.js';
import { captchaPort } from '../../shared/captcha/index.js';
import type { Clock } from '../../shared/clock.js';
import { parseConfig } from '../../shared/config.js';
import type { KitEnv } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { createMemoryOnceStore } from '../../shared/once/memory-store.js';
import { oidcPort } from '../../shared/oidc/index.js';
import { fetchPort } from '../../shared/ports.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import { voicePort } from '../../shared/voice/index.js';
import { createSoftAuthenticator } from '../../test/passkey/authenticator.js';
import { createAcceptingDelivery, createMemoryUsers, inProcessFetch } from '../in-memory.js';
import type { BenchRow, BenchSection } from '../table.js';

const clock: Clock = { now: () => Date.now() };
const ISSUER = 'https://tenant.example.com/';
const AUDIENCE = 'https://api.example.com';
const TWILIO_API = 'https://api.twilio.example';
const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const PASSKEY_ORIGIN = 'https://app.example.com';

/** Limits high enough that the benchmark's own sign-ins never trip them (each still counts). */
const roomy = '1000000/60';
const env: Record<string, string> = {
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SECRET: 'bench-turnstile-secret',
  CAPTCHA_HOSTNAMES: 'app.example.com',
  ...Object.fromEntries(['EMAIL_IP', 'SMS_IP', 'GUEST_IP', 'EMAIL', 'PHONE', 'USER'].map((rule) => [`CAPTCHA_LIMIT_${rule}`, roomy])),
  AUTH0_ISSUER: ISSUER,
  AUTH0_AUDIENCE: AUDIENCE,
  ...Object.fromEntries(['EXCHANGE_IP', 'SUBJECT', 'REDIRECT_IP', 'LOGOUT_IP'].map((rule) => [`AUTH0_LIMIT_${rule}`, roomy])),
  VOICE_PROVIDER: 'twilio',
  TWILIO_API_URL: TWILIO_API,
  TWILIO_ACCOUNT_SID: ACCOUNT_SID,
  TWILIO_API_KEY_SID: `SK${'b2'.repeat(16)}`,
  TWILIO_API_KEY_SECRET: 'bench-twilio-secret',
  TWILIO_FROM_NUMBER: '+14155550100',
  PHONE_CALL_COUNTRIES: 'US',
  ...Object.fromEntries(['IP', 'NUMBER', 'PREFIX', 'COUNTRY', 'TOTAL', 'USER', 'CHECK_IP', 'CHECK_NUMBER'].map((rule) => [`PHONE_CALL_LIMIT_${rule}`, roomy])),
  PASSKEY_RP_ID: 'example.com',
  PASSKEY_RP_NAME: 'Example',
  PASSKEY_ORIGINS: PASSKEY_ORIGIN,
  PASSKEY_CHALLENGE_SECRET: 'bench-passkey-challenge-secret-0123456789',
  ...Object.fromEntries(['IP', 'CREDENTIAL', 'USERNAME'].map((rule) => [`PASSKEY_LIMIT_${rule}`, roomy])),
};

/** The vendors, answering as their documentation says a success looks. */
async function vendors() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  let calls = 0;
  const fetch = inProcessFetch({
    'https://challenges.cloudflare.com/turnstile/v0/siteverify': () =>
      Response.json({ success: true, challenge_ts: new Date().toISOString(), hostname: 'app.example.com', 'error-codes': [], action: '', cdata: '' }),
    [`${ISSUER}.well-known/jwks.json`]: () => Response.json({ keys: [jwk] }),
    [`${TWILIO_API}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`]: () => Response.json({ sid: `CA${String(++calls).padStart(32, '0')}`, status: 'queued' }, { status: 201 }),
  });
  const accessToken = (subject: string) =>
    new SignJWT({ azp: 'bench-client', scope: 'openid' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'bench' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  return { fetch, accessToken };
}

type App = Hono<KitEnv>;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU of one request, in ms; the answer must have `status`. */
async function cpuOf(app: App, path: string, init: { body?: unknown; headers?: Record<string, string> }, clientIp: string, status: number) {
  const request = new Request(`http://function.local${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify(init.body ?? {}),
  });
  const started = process.cpuUsage();
  const response = await app.fetch(request, { clientIp });
  const text = await response.text();
  const used = process.cpuUsage(started);
  if (response.status !== status) throw new Error(`${path} answered ${response.status}: ${text}`);
  return { ms: (used.user + used.system) / 1000, json: JSON.parse(text) as Record<string, unknown> };
}

/** One sign-in per call, its CPU in ms; `i` makes each one's identity and address new. */
type SignIn = (i: number) => Promise<number>;

async function signIns(): Promise<Record<string, { route: string; limits: string; run: SignIn }>> {
  const { fetch, accessToken } = await vendors();
  const runtime = createRuntimeServices({
    kind: 'node',
    env,
    logger: silentLogger,
    clock,
    fetch,
    appwrite: () => {
      throw new Error('the benchmark calls no Appwrite');
    },
    rateLimitStore: () => createMemoryStore({ clock }),
    onceStore: () => createMemoryOnceStore({ clock }),
  });
  const base = { users: createMemoryUsers(), rateLimitStore: runtime.rateLimitStore(), logger: silentLogger, clock };
  const captcha = captchaPort.create(runtime);
  const ip = (i: number) => `198.51.${(i >> 8) & 255}.${i & 255}`;
  const captchaToken = (i: number) => `bench-captcha-token-${i}-${Math.random().toString(36).slice(2)}`;

  const captchaApp = createCaptchaApp(parseConfig(captchaFunctionConfigSchema, env), { ...base, delivery: createAcceptingDelivery(), captcha });
  const auth0App = createAuth0App(parseConfig(auth0ConfigSchema, env), {
    ...base,
    once: runtime.onceStore(),
    oidc: oidcPort.create(runtime),
    fetch: fetchPort.create(runtime),
  });
  const phoneApp = createPhoneCallApp(parseConfig(phoneCallConfigSchema, env), {
    ...base,
    delivery: voicePort.create(runtime),
    captcha,
    statusCallback: null,
    verify: null,
  });
  const noAccounts: JwtAccounts = async () => {
    throw new Error('adding a passkey is not benchmarked');
  };
  const passkeyApp = createPasskeyApp(completeConfig(parseConfig(passkeyConfigSchema, env), null), {
    ...base,
    once: runtime.onceStore(),
    passkeys: createMemoryPasskeyStore(),
    accounts: noAccounts,
  });
  // Passkey users sign up once, unmeasured: a sign-in needs a registered credential.
  const authenticator = createSoftAuthenticator({ origin: PASSKEY_ORIGIN });
  const signUp = await cpuOf(passkeyApp, '/sign-up/options', { body: { username: 'bench-passkey-user' } }, ip(0), 200);
  await cpuOf(passkeyApp, '/sign-up/verify', { body: { response: authenticator.create(signUp.json as never) } }, ip(0), 200);

  return {
    captcha: {
      route: 'POST /email',
      limits: 'the work: JSON and zod validation, its rate-limit rules, the siteverify exchange (form, JSON, answer checks) and its replay record, user lookup, token',
      run: async (i) => (await cpuOf(captchaApp, '/email', { body: { email: `bench-${i}@example.com`, captchaToken: captchaToken(i) } }, ip(i), 202)).ms,
    },
    auth0: {
      route: 'POST /exchange',
      limits: 'the work: an RS256 signature check (Web Crypto) and claim checks, its rate-limit rules, user lookup, token',
      run: async (i) => {
        // Signed outside the measurement: the client brings its token.
        const token = await accessToken(`auth0|bench-${i}`);
        return (await cpuOf(auth0App, '/exchange', { headers: { authorization: `Bearer ${token}` } }, ip(i), 200)).ms;
      },
    },
    'phone-call': {
      route: 'POST /start',
      limits: 'the work: libphonenumber parsing, its rate-limit rules, the captcha exchange, user lookup, token, the TwiML and the Twilio request',
      run: async (i) => {
        const phone = `+1212${String(2_000_000 + i).padStart(7, '0')}`;
        return (await cpuOf(phoneApp, '/start', { body: { phone, captchaToken: captchaToken(i) } }, ip(i), 202)).ms;
      },
    },
    passkey: {
      route: 'POST /sign-in/options + /sign-in/verify',
      limits:
        'two requests: an HMAC-signed challenge issued and redeemed (Web Crypto, its once record), @simplewebauthn/server decoding the ' +
        'assertion and importing the COSE key for each ECDSA check, its rate-limit rules, the counter update, token',
      run: async (i) => {
        const options = await cpuOf(passkeyApp, '/sign-in/options', {}, ip(i), 200);
        const response = authenticator.get(options.json as never);
        return options.ms + (await cpuOf(passkeyApp, '/sign-in/verify', { body: { response } }, ip(i), 200)).ms;
      },
    },
  };
}

const section: BenchSection = {
  title: 'Sign-in CPU',
  async measure({ quick }) {
    const functions = await signIns();
    const count = quick ? 20 : 400;
    const warmup = quick ? 5 : 100;
    const samples = new Map<string, number[]>(Object.keys(functions).map((name) => [name, []]));
    // Warm every path first (JIT, the JWKS fetched once), then interleave so drift hits all alike.
    let i = 1;
    for (let round = 0; round < warmup + count; round++) {
      for (const [name, { run }] of Object.entries(functions)) {
        const ms = await run(i++);
        if (round >= warmup) samples.get(name)!.push(ms);
      }
    }
    return Object.entries(functions).map(
      ([name, { route, limits }]): BenchRow => ({
        runtime: name,
        figure: `CPU per sign-in (${route}), Appwrite and vendors excluded, p50`,
        value: median(samples.get(name)!),
        unit: 'ms',
        goal: { max: 1 },
        note: `p50 of ${count} after ${warmup} warm-up ones, each a new identity and address; ${limits}`,
      }),
    );
  },
};

export default section;
