/**
 * Appwrite round trips (issue 8, goal 1): functions as Appwrite Functions runs them (the
 * open-runtimes context in, `createAppwriteEntry` as `npm run build:appwrite` bundles it), with the
 * embedded Appwrite behind a loopback proxy that holds every call for {@link DELAY_MS}, as a distant
 * Appwrite would. The proxy records when each call arrived and answered, so the figure is the number
 * of calls a request waited for one after another (`sequentialRoundTrips`), not a guess from
 * timings. The latency row corroborates it: (a login's latency − one argon2 verification timed
 * around it) / the delay.
 *
 * Password logins (goals): steady state, the counters of the current windows exist (a wrong
 * password just before); first of its windows, a new username from a new address; throttled, the
 * account's delays used up. Context: the same user again after a success, which cleared the
 * account's delays; the captcha function's POST /email for a new and a known user.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { verify } from '@node-rs/argon2';
import { captchaFunction } from '../../functions/captcha/index.js';
import { passwordFunction } from '../../functions/password/index.js';
import { systemClock } from '../../shared/clock.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { DUMMY_ARGON2ID_HASH } from '../../shared/passwords/verifier.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { sequentialRoundTrips, startDelayProxy, type DelayProxy } from '../../test/helpers/delay-proxy.js';
import { startCaptchaVendor } from '../../test/helpers/captcha-vendor.js';
import { invokeOpenRuntimes } from '../../test/helpers/open-runtimes.js';
import type { BenchRow, BenchSection } from '../table.js';

/** What the proxy adds to every Appwrite call, in ms. */
const DELAY_MS = 25;
const PROJECT_ID = 'kit-bench-round-trips';
const KEY = 'ephemeral_bench-key';
const PASSWORD = 'correct horse battery staple';
/**
 * The default rules' shapes (two per address, two account delays, one cap: five counters), with
 * limits high enough that the benchmark's own logins never trip them.
 */
const limits = { PASSWORD_LIMIT_LOGIN_IP: '1000/60,10000/3600', PASSWORD_LIMIT_ACCOUNT: '5/60,10/900', PASSWORD_LIMIT_ACCOUNT_CAP: '1000/3600' };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** One request through an entry: its status, the round trips it waited for, its calls, its latency in ms. */
async function measured(entry: AppwriteEntry, proxy: DelayProxy, path: string, body: unknown, ip: string) {
  // Leftovers of the previous request (hits given back after its answer) must not count for this one.
  await proxy.quiet(2 * DELAY_MS);
  proxy.calls.length = 0;
  const started = performance.now();
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': ip, 'x-appwrite-key': KEY },
    body: JSON.stringify(body),
  });
  const answeredAt = performance.now();
  return { status: result.statusCode, roundTrips: sequentialRoundTrips(proxy.calls, answeredAt), ms: answeredAt - started, calls: proxy.calls.length };
}

type Sample = Awaited<ReturnType<typeof measured>>;

/** One argon2 verification at Appwrite's parameters (the dummy hash's), in ms: the work a login cannot avoid. */
async function argon2Ms(): Promise<number> {
  const started = performance.now();
  await verify(DUMMY_ARGON2ID_HASH, 'not the password');
  return performance.now() - started;
}

function expectStatus(status: number, expected: number, what: string) {
  if (status !== expected) throw new Error(`${what} answered ${status}, expected ${expected}`);
}

/** Serves a fresh embedded Appwrite on loopback behind the delay proxy. */
async function slowAppwrite(scopes: readonly string[]) {
  const double = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [KEY]: [...scopes] } });
  const server: ServerType = serve({ fetch: double.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy = await startDelayProxy(origin, DELAY_MS);
  // The same path with nothing added: what a login costs here besides the delays.
  const direct = await startDelayProxy(origin, 0);
  const envOf = (through: DelayProxy) => ({ APPWRITE_FUNCTION_API_ENDPOINT: through.endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID });
  return {
    proxy,
    direct,
    env: envOf(proxy),
    directEnv: envOf(direct),
    async close() {
      await direct.close();
      await proxy.close();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

let address = 0;
const newIp = () => `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address++ & 255}`;
const roundTrips = (samples: Sample[]) => median(samples.map((sample) => sample.roundTrips));
const calls = (samples: Sample[]) => median(samples.map((sample) => sample.calls));

/** The password function's rows: logins in each state, and the latency check against argon2. */
async function passwordRows(runs: number): Promise<BenchRow[]> {
  const appwrite = await slowAppwrite(passwordFunction.appwriteScopes);
  try {
    const entry = createAppwriteEntry(passwordFunction, { env: { ...appwrite.env, ...limits } });
    const directEntry = createAppwriteEntry(passwordFunction, { env: { ...appwrite.directEnv, ...limits } });
    const call = (path: string, body: unknown, ip: string) => measured(entry, appwrite.proxy, path, body, ip);
    const callDirect = (path: string, body: unknown, ip: string) => measured(directEntry, appwrite.direct, path, body, ip);
    const run = Date.now().toString(36);
    const samples = { first: [] as Sample[], repeat: [] as Sample[], steady: [] as Sample[], throttled: [] as Sample[] };
    /** Per steady-state login: its latency minus the mean of one argon2 verification just before and just after it. */
    const beyondArgon2: number[] = [];
    /** Steady-state logins with no delay added, for the latency the delays alone explain. */
    const undelayed: number[] = [];

    for (let r = 0; r < runs; r++) {
      const username = `bench-${run}-${r}`;
      const ip = newIp();
      expectStatus((await call('/register', { username, password: PASSWORD }, newIp())).status, 201, 'register');
      const login = (password: string) => call('/login', { username, password }, ip);

      samples.first.push(await login(PASSWORD));
      samples.repeat.push(await login(PASSWORD));
      expectStatus((await login('a wrong guess, once')).status, 401, 'wrong password');
      const before = await argon2Ms();
      const steady = await login(PASSWORD);
      beyondArgon2.push(steady.ms - (before + (await argon2Ms())) / 2);
      samples.steady.push(steady);
      for (const sample of [samples.first.at(-1)!, samples.repeat.at(-1)!, steady]) expectStatus(sample.status, 200, 'login');

      // Wrong guesses until the account's 5/60 delay refuses (five, or more when a minute turns
      // over meanwhile), then the right password, refused too.
      let refused: Sample | null = null;
      for (let guesses = 0; refused?.status !== 429; guesses++) {
        if (guesses > 15) throw new Error(`throttled login answered ${refused?.status}, expected 429`);
        if ((await login('a wrong guess, again')).status !== 429) continue;
        refused = await login(PASSWORD);
      }
      samples.throttled.push(refused);

      const other = `${username}-direct`;
      const otherIp = newIp();
      expectStatus((await call('/register', { username: other, password: PASSWORD }, newIp())).status, 201, 'register');
      expectStatus((await callDirect('/login', { username: other, password: 'a wrong guess, once' }, otherIp)).status, 401, 'wrong password');
      const direct = await callDirect('/login', { username: other, password: PASSWORD }, otherIp);
      expectStatus(direct.status, 200, 'login without delay');
      undelayed.push(direct.ms);
    }

    const note = `${DELAY_MS} ms added per Appwrite call, median of ${runs}`;
    return [
      { runtime: 'Appwrite', figure: 'password login, steady state: sequential Appwrite round trips', value: roundTrips(samples.steady), unit: 'round trips', goal: { max: 3 }, note: `${calls(samples.steady)} calls; ${note}` },
      { runtime: 'Appwrite', figure: 'password login, steady state: (latency − argon2) / delay', value: round(median(beyondArgon2) / DELAY_MS), unit: 'delays', note: 'argon2 timed around each login; includes the embedded Appwrite\'s and the entry\'s own work' },
      { runtime: 'Appwrite', figure: 'password login, steady state: (p50 with delay − p50 without) / delay', value: round((median(samples.steady.map((sample) => sample.ms)) - median(undelayed)) / DELAY_MS), unit: 'delays', note: 'the latency the added delays explain' },
      { runtime: 'Appwrite', figure: 'password login, first of its windows: sequential round trips', value: roundTrips(samples.first), unit: 'round trips', goal: { max: 5 }, note: `${calls(samples.first)} calls; new user, new address` },
      { runtime: 'Appwrite', figure: 'password login again after a success: sequential round trips', value: roundTrips(samples.repeat), unit: 'round trips', note: 'the success cleared the account delays, so their rows are new' },
      { runtime: 'Appwrite', figure: 'throttled password login: sequential round trips', value: roundTrips(samples.throttled), unit: 'round trips', goal: { max: 1 }, note: `${calls(samples.throttled)} calls, hits given back after the answer` },
    ];
  } finally {
    await appwrite.close();
  }
}

/** The captcha function's main path, POST /email (the Turnstile fake says yes): context rows. */
async function captchaRows(runs: number): Promise<BenchRow[]> {
  const appwrite = await slowAppwrite(captchaFunction.appwriteScopes);
  const vendor = await startCaptchaVendor({ clock: systemClock });
  try {
    const entry = createAppwriteEntry(captchaFunction, {
      env: { ...appwrite.env, CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: vendor.secret('turnstile'), CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile') },
    });
    const run = Date.now().toString(36);
    const samples = { newUser: [] as Sample[], knownUser: [] as Sample[] };
    for (let r = 0; r < runs; r++) {
      const email = `bench-${run}-${r}@example.com`;
      const ip = newIp();
      const send = () => measured(entry, appwrite.proxy, '/email', { email, captchaToken: vendor.solve('turnstile') }, ip);
      samples.newUser.push(await send());
      samples.knownUser.push(await send());
      for (const sample of [samples.newUser.at(-1)!, samples.knownUser.at(-1)!]) expectStatus(sample.status, 202, 'captcha /email');
    }
    return [
      { runtime: 'captcha', figure: 'POST /email, known user: sequential Appwrite round trips', value: roundTrips(samples.knownUser), unit: 'round trips', note: `${calls(samples.knownUser)} calls: limits, users.list, per-user limit, createToken, Messaging` },
      { runtime: 'captcha', figure: 'POST /email, first sign-in: sequential Appwrite round trips', value: roundTrips(samples.newUser), unit: 'round trips', note: `${calls(samples.newUser)} calls; the user is created` },
    ];
  } finally {
    await vendor.close();
    await appwrite.close();
  }
}

const section: BenchSection = {
  title: 'Appwrite round trips',
  async measure({ quick }) {
    const runs = quick ? 3 : 11;
    return [...(await passwordRows(runs)), ...(await captchaRows(quick ? 2 : 5))];
  },
};
export default section;
