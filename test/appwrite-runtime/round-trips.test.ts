/**
 * How many times a password login on Appwrite Functions waits for Appwrite, one call after another.
 * A loopback proxy in front of the embedded double holds each call for {@link DELAY_MS} and records
 * when it arrived and answered; `sequentialRoundTrips` counts the longest chain of calls the answer
 * waited for. Structure, not speed: calls sent together overlap, whatever the machine's pace.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Client, TablesDB } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { rateLimitRowId } from '../../shared/rate-limit/appwrite-store.js';
import { RATE_LIMIT_DATABASE_ID, RATE_LIMIT_TABLE_ID } from '../../shared/rate-limit/appwrite-table.js';
import { accountKey } from '../../shared/rate-limit/keys.js';
import { windowAt, type RateLimitRule } from '../../shared/rate-limit/store.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { sequentialRoundTrips, startDelayProxy, type DelayProxy, type ProxiedCall } from '../helpers/delay-proxy.js';
import { invokeOpenRuntimes } from '../helpers/open-runtimes.js';

const PROJECT_ID = 'kit-round-trips';
const KEY = 'ephemeral_round-trips-key';
const PASSWORD = 'correct horse battery staple';
/** Long enough that calls sent in one turn of the event loop always overlap. */
const DELAY_MS = 150;
/** The default rules' shapes: two per address, two account delays, one cap (five counters). */
const limits = { PASSWORD_LIMIT_LOGIN_IP: '20/60,200/3600', PASSWORD_LIMIT_ACCOUNT: '5/60,10/900', PASSWORD_LIMIT_ACCOUNT_CAP: '20/3600' };

let server: ServerType;
let tables: TablesDB;
let proxy: DelayProxy;
let entry: ReturnType<typeof createAppwriteEntry>;
let address = 0;
let ip: string;

/**
 * The function's time: each test starts it just after an hour begins, so every window of the rules
 * (60, 900 and 3600 s all divide an hour) has room for the whole test. On the wall clock a test that
 * straddled a minute found its counters empty again and the throttled login answered 200.
 */
const clock = {
  offset: 0,
  now: () => Date.now() + clock.offset,
  startWindowsAfresh() {
    const hour = 3_600_000;
    clock.offset += Math.ceil(clock.now() / hour) * hour + 1_000 - clock.now();
  },
};

beforeAll(async () => {
  const double = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: { [KEY]: [...passwordFunction.appwriteScopes] },
    passwordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  server = serve({ fetch: double.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tables = new TablesDB(new Client().setEndpoint(`${origin}/v1`).setProject(PROJECT_ID).setKey(KEY));
  proxy = await startDelayProxy(origin, DELAY_MS);
  entry = createAppwriteEntry(passwordFunction, {
    env: { APPWRITE_FUNCTION_API_ENDPOINT: proxy.endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID, ...limits },
    clock,
  });
});
afterAll(async () => {
  await proxy.close();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});
beforeEach(() => {
  ip = `198.51.100.${++address}`;
  clock.startWindowsAfresh();
});

/** Posts through the entry and answers the status, the calls it made, and when its answer came. */
async function post(path: string, body: unknown) {
  await proxy.quiet(DELAY_MS / 2);
  proxy.calls.length = 0;
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': ip, 'x-appwrite-key': KEY },
    body: JSON.stringify(body),
  });
  const answeredAt = performance.now();
  return { status: result.statusCode, calls: [...proxy.calls], answeredAt };
}

const increments = (calls: readonly ProxiedCall[]) => calls.filter((call) => call.method === 'PATCH' && call.path.endsWith('/hits/increment'));
const decrements = (calls: readonly ProxiedCall[]) => calls.filter((call) => call.method === 'PATCH' && call.path.endsWith('/hits/decrement'));
const clears = (calls: readonly ProxiedCall[]) => calls.filter((call) => call.method === 'DELETE' && call.path.includes('/tablesdb/'));
const tokenCall = (calls: readonly ProxiedCall[]) => calls.find((call) => call.method === 'POST' && call.path.endsWith('/tokens'));
/** Whether every call started before any of them answered: sent together. */
const together = (calls: readonly ProxiedCall[]) =>
  Math.max(...calls.map((call) => call.startedAt)) < Math.min(...calls.map((call) => call.endedAt ?? Infinity));

/** A counter's hits in its current window, read straight from the double. */
async function hitsOf(key: string, rule: RateLimitRule): Promise<number> {
  const rowId = await rateLimitRowId(key, rule, windowAt(clock.now(), rule).index);
  return (await tables.getRow({ databaseId: RATE_LIMIT_DATABASE_ID, tableId: RATE_LIMIT_TABLE_ID, rowId }))['hits'] as number;
}

async function registered(username: string) {
  expect((await post('/register', { username, password: PASSWORD })).status).toBe(201);
}

describe('a password login through the Appwrite entry', () => {
  it('in steady state waits for 3 round trips: its five counter increments together, users.get, the clears with createToken', async () => {
    await registered('steady');
    // A wrong password first: every counter of these windows now has its row.
    expect((await post('/login', { username: 'steady', password: 'not the password at all' })).status).toBe(401);

    const { status, calls, answeredAt } = await post('/login', { username: 'steady', password: PASSWORD });
    expect(status).toBe(200);
    expect(increments(calls)).toHaveLength(5);
    expect(together(increments(calls))).toBe(true);
    // The account's two delays are cleared while the token is minted.
    expect(clears(calls)).toHaveLength(2);
    expect(together([...clears(calls), tokenCall(calls)!])).toBe(true);
    expect(sequentialRoundTrips(calls, answeredAt)).toBe(3);
  });

  it('as the first request of its windows waits for 3 too: rows it never saw are created first, together', async () => {
    await registered('first');
    const { status, calls, answeredAt } = await post('/login', { username: 'first', password: PASSWORD });
    expect(status).toBe(200);
    const creates = calls.filter((call) => call.method === 'POST' && call.path.endsWith('/rows'));
    expect(creates).toHaveLength(5);
    expect(together(creates)).toBe(true);
    expect(increments(calls)).toEqual([]);
    expect(sequentialRoundTrips(calls, answeredAt)).toBe(3);
  });

  it('throttled, answers 429 after 1 round trip; the hits counted after the refusing rule are given back after the answer', async () => {
    await registered('throttled');
    // Five wrong guesses use up the account's 5/60 delay.
    for (let i = 0; i < 5; i++) expect((await post('/login', { username: 'throttled', password: 'a wrong guess, again' })).status).toBe(401);

    const { status, answeredAt } = await post('/login', { username: 'throttled', password: PASSWORD });
    expect(status).toBe(429);
    await proxy.quiet(DELAY_MS);
    const calls = proxy.calls;
    expect(sequentialRoundTrips(calls, answeredAt)).toBe(1);
    // The address's two rules counted before the refusing 5/60; the 10/900 delay and the cap after it.
    expect(decrements(calls)).toHaveLength(2);
    const incrementsAnswered = Math.max(...increments(calls).map((call) => call.endedAt!));
    expect(decrements(calls).every((call) => call.startedAt >= incrementsAnswered)).toBe(true);

    // Given back: the 10/900 delay and the 20/3600 cap hold the five wrong guesses only, as if the
    // refused attempt had been counted one rule at a time and stopped at the 5/60.
    const account = await accountKey('username', 'throttled');
    expect(await hitsOf(`password.account|${account}`, { limit: 10, windowSeconds: 900 })).toBe(5);
    expect(await hitsOf(`password.account-cap|${account}`, { limit: 20, windowSeconds: 3600 })).toBe(5);
  });
});
