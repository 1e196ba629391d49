/**
 * One loopback server that answers like the captcha vendors' siteverify endpoints, following their
 * documented contracts (shared/reference/security-and-vendors.md §1): Cloudflare Turnstile at
 * `/turnstile/v0/siteverify`, hCaptcha at `/siteverify`, reCAPTCHA v2 and v3 at `/recaptcha/api/siteverify`.
 *
 * Tests `solve` a captcha to get a token, as a browser widget would; the server then verifies it as
 * the vendor does: form-urlencoded fields (Turnstile also takes JSON), the secret, single use
 * (Turnstile `timeout-or-duplicate` unless the same `idempotency_key` comes again, hCaptcha
 * `already-seen-response`, reCAPTCHA `timeout-or-duplicate`), each vendor's token lifetime on the
 * test clock, and each vendor's answer shape. `script` makes the next requests answer otherwise (given
 * error codes, HTTP 500, a hang, a body that stalls or breaks off, malformed JSON, a dropped
 * connection, any JSON). Every request is recorded, so tests assert what the kit sent.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../shared/clock.js';

/** A vendor provider of the kit, as the fake knows it. */
export type FakeCaptchaProvider = 'turnstile' | 'hcaptcha' | 'recaptcha-v2' | 'recaptcha-v3';

/** What the widget saw when the captcha was solved. Every field has a plausible default. */
export interface SolveOptions {
  hostname?: string;
  /** Turnstile and reCAPTCHA v3: the widget's action. */
  action?: string;
  /** reCAPTCHA v3: 0.0 (bot) to 1.0 (human). Default 0.9. */
  score?: number;
  /** Overrides the `challenge_ts` the vendor reports (the solve instant on the test clock by default). */
  challengeTs?: string;
  /** hCaptcha: the site the token was solved for. Default {@link FAKE_HCAPTCHA_SITE_KEY}. */
  siteKey?: string;
  /** A misbehaving vendor (or proxy) that says success every time: the token is never spent and never expires. */
  neverSpent?: boolean;
}

/** How the next request is answered instead of by the contract. */
export type ScriptedAnswer =
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  /** Verifies as the vendor would (spending the token), then closes the connection without answering. */
  | { kind: 'drop' }
  /** Sends a 200 with its headers, then never the body. */
  | { kind: 'stall' }
  /** Sends a 200 and half the body it announced, then closes the connection. */
  | { kind: 'truncated' }
  /** The vendor's own failure answer with these error codes, whatever was asked. */
  | { kind: 'error'; codes: string[] }
  /** This JSON with status 200, whatever was asked. */
  | { kind: 'answer'; body: unknown };

/** A request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string;
  /** The `accept` header: which answer the client said it reads. */
  accept: string;
  fields: Record<string, string>;
}

/** The running fake. */
export interface FakeCaptchaVendor {
  /** The siteverify URL of a provider (for `CAPTCHA_SITEVERIFY_URL`). */
  url(provider: FakeCaptchaProvider): string;
  /** The secret the fake expects for a provider (for `CAPTCHA_SECRET`). */
  secret(provider: FakeCaptchaProvider): string;
  /** A fresh token, as the provider's widget hands to the browser. */
  solve(provider: FakeCaptchaProvider, options?: SolveOptions): string;
  /** The next requests, in order, are answered like this. */
  script(...answers: ScriptedAnswer[]): void;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Forgets requests, scripts and tokens. */
  reset(): void;
  close(): Promise<void>;
}

/** The hCaptcha site key tokens are solved for unless told otherwise. */
export const FAKE_HCAPTCHA_SITE_KEY = '10000000-ffff-ffff-ffff-000000000001';

const paths: Record<FakeCaptchaProvider, string> = {
  turnstile: '/turnstile/v0/siteverify',
  hcaptcha: '/siteverify',
  'recaptcha-v2': '/recaptcha/api/siteverify',
  'recaptcha-v3': '/recaptcha/api/siteverify',
};

/** Seconds a token stays verifiable at each vendor. */
const lifetimeSeconds: Record<FakeCaptchaProvider, number> = { turnstile: 300, hcaptcha: 120, 'recaptcha-v2': 120, 'recaptcha-v3': 120 };

interface IssuedToken {
  provider: FakeCaptchaProvider;
  solvedAt: number;
  options: SolveOptions;
  spent: boolean;
}

type Answer = Record<string, unknown>;

/** reCAPTCHA and hCaptcha stamp seconds (`yyyy-MM-dd'T'HH:mm:ssZZ`), Turnstile milliseconds. */
function stamp(provider: FakeCaptchaProvider, ms: number): string {
  const iso = new Date(ms).toISOString();
  return provider === 'turnstile' ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
}

function failure(provider: FakeCaptchaProvider, ...codes: string[]): Answer {
  return provider === 'turnstile' ? { success: false, 'error-codes': codes, messages: [] } : { success: false, 'error-codes': codes };
}

function success(token: IssuedToken): Answer {
  const { provider, options } = token;
  const common = { success: true, challenge_ts: options.challengeTs ?? stamp(provider, token.solvedAt), hostname: options.hostname ?? 'app.example.com' };
  switch (provider) {
    case 'turnstile':
      return { ...common, 'error-codes': [], action: options.action ?? '', cdata: '' };
    case 'hcaptcha':
      return { ...common, credit: false };
    case 'recaptcha-v2':
      return common;
    case 'recaptcha-v3':
      return { ...common, score: options.score ?? 0.9, action: options.action ?? 'homepage' };
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Form fields, or JSON fields where the vendor takes JSON (Turnstile only). */
function parseFields(provider: FakeCaptchaProvider, contentType: string, body: string): Record<string, string> {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body));
  if (mediaType === 'application/json' && provider === 'turnstile') {
    try {
      const json: unknown = JSON.parse(body);
      if (json && typeof json === 'object') return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, String(value)]));
    } catch {
      return {};
    }
  }
  // Any other encoding carries no fields the vendor can read.
  return {};
}

/**
 * Starts the fake on 127.0.0.1, on a free port.
 *
 * @example
 * ```ts
 * const vendor = await startCaptchaVendor({ clock });
 * const env = { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: vendor.secret('turnstile'), CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile') };
 * await captchaPort.create(createTestPlatform({ env, clock }).runtime).verify(vendor.solve('turnstile'), { clientIp: '203.0.113.7' });
 * ```
 */
export async function startCaptchaVendor(options: { clock: Clock }): Promise<FakeCaptchaVendor> {
  const { clock } = options;
  const tokens = new Map<string, IssuedToken>();
  const idempotent = new Map<string, { token: string; answer: Answer }>();
  const requests: RecordedRequest[] = [];
  let scripted: ScriptedAnswer[] = [];
  const secrets: Record<FakeCaptchaProvider, string> = {
    turnstile: '1x0000000000000000000000000000000AA',
    hcaptcha: '0x0000000000000000000000000000000000000000',
    'recaptcha-v2': 'fake-recaptcha-v2-secret',
    'recaptcha-v3': 'fake-recaptcha-v3-secret',
  };

  /** The provider a request is for: its path, and for reCAPTCHA the secret (v2 and v3 keys differ). */
  function providerOf(path: string, secret: string | undefined): FakeCaptchaProvider | undefined {
    if (path === paths.turnstile) return 'turnstile';
    if (path === paths.hcaptcha) return 'hcaptcha';
    if (path === paths['recaptcha-v2']) return secret === secrets['recaptcha-v3'] ? 'recaptcha-v3' : 'recaptcha-v2';
    return undefined;
  }

  /** The vendor's verdict, spending the token as the vendor does. */
  function verify(provider: FakeCaptchaProvider, fields: Record<string, string>): Answer {
    if (!fields['secret']) return failure(provider, 'missing-input-secret');
    if (fields['secret'] !== secrets[provider]) return failure(provider, 'invalid-input-secret');
    const response = fields['response'];
    if (!response) return failure(provider, 'missing-input-response');
    if (provider === 'turnstile' && response.length > 2048) return failure(provider, 'invalid-input-response');

    // Turnstile: a known idempotency key with the same token gets the first verdict again, unspent.
    const key = provider === 'turnstile' ? fields['idempotency_key'] : undefined;
    const earlier = key === undefined ? undefined : idempotent.get(key);
    if (earlier && earlier.token === response) return earlier.answer;

    const answer = judge(provider, fields, response);
    if (key !== undefined) idempotent.set(key, { token: response, answer });
    return answer;
  }

  function judge(provider: FakeCaptchaProvider, fields: Record<string, string>, response: string): Answer {
    const token = tokens.get(response);
    if (!token || token.provider !== provider) return failure(provider, 'invalid-input-response');
    if (provider === 'hcaptcha' && fields['sitekey'] !== undefined && fields['sitekey'] !== (token.options.siteKey ?? FAKE_HCAPTCHA_SITE_KEY)) {
      return failure(provider, 'sitekey-secret-mismatch');
    }
    const expired = clock.now() - token.solvedAt > lifetimeSeconds[provider] * 1000;
    if ((token.spent || expired) && !token.options.neverSpent) {
      if (provider === 'hcaptcha') return failure(provider, token.spent ? 'already-seen-response' : 'expired-input-response');
      return failure(provider, 'timeout-or-duplicate');
    }
    token.spent = true;
    return success(token);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const contentType = request.headers['content-type'] ?? '';
    const accept = request.headers.accept ?? '';
    const body = await readBody(request);
    const guess = providerOf(path, undefined) ?? 'recaptcha-v2';
    const fields = parseFields(guess, contentType, body);
    requests.push({ method: request.method ?? '', path, contentType, accept, fields });

    const provider = providerOf(path, fields['secret']);
    if (request.method !== 'POST' || !provider) return void response.writeHead(404).end();

    const next = scripted.shift();
    if (next?.kind === 'hang') return;
    if (next?.kind === 'stall') return void response.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' }).flushHeaders();
    if (next?.kind === 'truncated') {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' }).write('{"success": true, ');
      return void setTimeout(() => request.socket.destroy(), 20);
    }
    if (next?.kind === 'status') return void response.writeHead(next.status, { 'content-type': 'text/plain' }).end('Internal Server Error');
    if (next?.kind === 'malformed') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"success": tru');
    if (next?.kind === 'error') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(failure(provider, ...next.codes)));
    if (next?.kind === 'answer') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(next.body));

    const answer = verify(provider, fields);
    if (next?.kind === 'drop') return void request.socket.destroy();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: (provider) => `${base}${paths[provider]}`,
    secret: (provider) => secrets[provider],
    solve(provider, solveOptions = {}) {
      // Shaped like real tokens: long, URL-safe, different every time.
      const token = `${provider.slice(0, 2)}.${randomBytes(48).toString('base64url')}`;
      tokens.set(token, { provider, solvedAt: clock.now(), options: solveOptions, spent: false });
      return token;
    },
    script(...answers) {
      scripted.push(...answers);
    },
    requests,
    reset() {
      requests.length = 0;
      scripted = [];
      tokens.clear();
      idempotent.clear();
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
