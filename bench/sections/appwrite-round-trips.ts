/**
 * Appwrite round trips (issue 8, goal 1): the password function as Appwrite Functions runs it (the
 * open-runtimes context in, `createAppwriteEntry` as `npm run build:appwrite` bundles it), with the
 * embedded Appwrite behind a loopback proxy that holds every call for {@link DELAY_MS}, as a distant
 * Appwrite would. The proxy records when each call arrived and answered, so the figure is the number
 * of calls a login waited for one after another (`sequentialRoundTrips`), not a guess from timings.
 * The latency row corroborates it: (p50 of the login − p50 of one argon2 verification measured in
 * this run) / the delay.
 *
 * Steady state: the counters of the current windows already exist (a wrong password just before).
 * First of its windows: a new username from a new address. Throttled: the account's delays used up.
 * Repeat login: the same user and address again after a success, which cleared the account's
 * delays, so those counters start new rows while the address's and the cap's exist.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { verify } from '@node-rs/argon2';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { DUMMY_ARGON2ID_HASH } from '../../shared/passwords/verifier.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { sequentialRoundTrips, startDelayProxy, type DelayProxy } from '../../test/helpers/delay-proxy.js';
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

/** One login through the entry: its status, round trips waited for, and latency in ms. */
async function login(entry: ReturnType<typeof createAppwriteEntry>, proxy: DelayProxy, username: string, password: string, ip: string) {
  // Leftovers of the previous request (hits given back after its answer) must not count for this one.
  await proxy.quiet(2 * DELAY_MS);
  proxy.calls.length = 0;
  const started = performance.now();
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': ip, 'x-appwrite-key': KEY },
    body: JSON.stringify({ username, password }),
  });
  const answeredAt = performance.now();
  return { status: result.statusCode, roundTrips: sequentialRoundTrips(proxy.calls, answeredAt), ms: answeredAt - started, calls: proxy.calls.length };
}

function expectStatus(status: number, expected: number, what: string) {
  if (status !== expected) throw new Error(`${what} answered ${status}, expected ${expected}`);
}

const section: BenchSection = {
  title: 'Appwrite round trips',
  async measure({ quick }) {
    const double = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [KEY]: [...passwordFunction.appwriteScopes] } });
    const server: ServerType = serve({ fetch: double.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const proxy = await startDelayProxy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, DELAY_MS);
    try {
      const entry = createAppwriteEntry(passwordFunction, {
        env: { APPWRITE_FUNCTION_API_ENDPOINT: proxy.endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID, ...limits },
      });
      const runs = quick ? 3 : 11;
      const run = Date.now().toString(36);
      let address = 0;
      const newIp = () => `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address++ & 255}`;
      const register = async (username: string) => {
        const result = await invokeOpenRuntimes(entry, {
          method: 'POST',
          url: '/register',
          headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': newIp(), 'x-appwrite-key': KEY },
          body: JSON.stringify({ username, password: PASSWORD }),
        });
        expectStatus(result.statusCode, 201, 'register');
      };

      const steady: Array<Awaited<ReturnType<typeof login>>> = [];
      const first: Array<Awaited<ReturnType<typeof login>>> = [];
      const repeat: Array<Awaited<ReturnType<typeof login>>> = [];
      const throttled: Array<Awaited<ReturnType<typeof login>>> = [];
      for (let r = 0; r < runs; r++) {
        const username = `bench-${run}-${r}`;
        const ip = newIp();
        await register(username);
        const fresh = await login(entry, proxy, username, PASSWORD, ip);
        expectStatus(fresh.status, 200, 'first login');
        first.push(fresh);
        const again = await login(entry, proxy, username, PASSWORD, ip);
        expectStatus(again.status, 200, 'repeat login');
        repeat.push(again);
        expectStatus((await login(entry, proxy, username, 'a wrong guess, once', ip)).status, 401, 'wrong password');
        const settled = await login(entry, proxy, username, PASSWORD, ip);
        expectStatus(settled.status, 200, 'steady-state login');
        steady.push(settled);
        // Five wrong guesses use up the account's 5/60 delay; the sixth attempt is refused.
        for (let i = 0; i < 5; i++) await login(entry, proxy, username, 'a wrong guess, again', ip);
        const refused = await login(entry, proxy, username, PASSWORD, ip);
        expectStatus(refused.status, 429, 'throttled login');
        throttled.push(refused);
      }

      // One argon2 verification at Appwrite's parameters, the work a login cannot avoid.
      const argon2: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await verify(DUMMY_ARGON2ID_HASH, 'not the password');
        argon2.push(performance.now() - started);
      }
      const argon2Ms = median(argon2);
      const inDelays = (samples: Array<{ ms: number }>) => round((median(samples.map((s) => s.ms)) - argon2Ms) / DELAY_MS);
      const note = `${DELAY_MS} ms added per Appwrite call, median of ${runs}`;
      const rows: BenchRow[] = [
        { runtime: 'Appwrite', figure: 'password login, steady state: sequential Appwrite round trips', value: median(steady.map((s) => s.roundTrips)), unit: 'round trips', goal: { max: 3 }, note: `${median(steady.map((s) => s.calls))} calls; ${note}` },
        { runtime: 'Appwrite', figure: 'password login, steady state: (p50 − argon2) / delay', value: inDelays(steady), unit: 'delays', note: `argon2 p50 ${round(argon2Ms)} ms, login p50 ${round(median(steady.map((s) => s.ms)))} ms` },
        { runtime: 'Appwrite', figure: 'password login, first of its windows: sequential round trips', value: median(first.map((s) => s.roundTrips)), unit: 'round trips', goal: { max: 5 }, note: `${median(first.map((s) => s.calls))} calls; new user, new address` },
        { runtime: 'Appwrite', figure: 'password login, first of its windows: (p50 − argon2) / delay', value: inDelays(first), unit: 'delays' },
        { runtime: 'Appwrite', figure: 'password login again after a success: sequential round trips', value: median(repeat.map((s) => s.roundTrips)), unit: 'round trips', note: 'the success cleared the account delays, so their rows are new' },
        { runtime: 'Appwrite', figure: 'throttled password login: sequential round trips', value: median(throttled.map((s) => s.roundTrips)), unit: 'round trips', goal: { max: 1 }, note: `${median(throttled.map((s) => s.calls))} calls, some after the answer` },
        { runtime: 'Appwrite', figure: 'throttled password login: p50 / delay', value: round(median(throttled.map((s) => s.ms)) / DELAY_MS), unit: 'delays' },
      ];
      return rows;
    } finally {
      await proxy.close();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    }
  },
};
export default section;
