/**
 * Work after the deadline on Appwrite Functions. Past `REQUEST_TIMEOUT_MS` the entry answers 503
 * itself; the login it leaves behind must then change nothing: no delay counter cleared, no token
 * minted, nothing delivered. Appwrite is slow here: a loopback proxy in front of the embedded
 * double holds every call for {@link DELAY_MS} before passing it on, so the deadline falls in the
 * middle of a login.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite, type DevAppwriteStore } from '../../shared/dev-appwrite/index.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { startDelayProxy, type DelayProxy } from '../helpers/delay-proxy.js';
import { invokeOpenRuntimes, type RuntimeResult } from '../helpers/open-runtimes.js';

const PROJECT_ID = 'kit-deadline';
const KEY = 'ephemeral_deadline-key';
const PASSWORD = 'correct horse battery staple';
/** How long the proxy holds each call. A login counts its limits (together), then looks the user up, then clears and mints. */
const DELAY_MS = 500;
/**
 * Falls while the login is still reading (counting its limits, then looking the user up: at least
 * 500 ms each), before the counters could be cleared or a token asked for (after both, and argon2).
 */
const REQUEST_TIMEOUT_MS = 750;
/** Single-rule limits: one Appwrite call per check once the rows exist. */
const limits = { PASSWORD_LIMIT_LOGIN_IP: '100/3600', PASSWORD_LIMIT_ACCOUNT: '5/900', PASSWORD_LIMIT_ACCOUNT_CAP: '20/3600' };

let doubleServer: ServerType;
let store: DevAppwriteStore;
let doubleEndpoint: string;
let proxy: DelayProxy;

beforeAll(async () => {
  const double = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: { [KEY]: ['users.read', 'users.write', 'rows.read', 'rows.write'] },
    passwordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  store = double.store;
  doubleServer = serve({ fetch: double.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => doubleServer.once('listening', () => resolve()));
  doubleEndpoint = `http://127.0.0.1:${(doubleServer.address() as AddressInfo).port}`;
  proxy = await startDelayProxy(doubleEndpoint, DELAY_MS);
});
afterAll(async () => {
  await proxy.close();
  await new Promise<void>((resolve, reject) => doubleServer.close((error) => (error ? reject(error) : resolve())));
});

function entry(endpoint: string, env: Record<string, string> = {}): AppwriteEntry {
  return createAppwriteEntry(passwordFunction, {
    env: { APPWRITE_FUNCTION_API_ENDPOINT: endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID, ...limits, ...env },
  });
}

function post(target: AppwriteEntry, path: string, body: unknown): Promise<RuntimeResult> {
  return invokeOpenRuntimes(target, {
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': '203.0.113.7', 'x-appwrite-key': KEY },
    body: JSON.stringify(body),
  });
}

/**
 * A user registered, then one wrong password, straight to the double: the account now has a delay
 * counter that a successful login would clear. Returns the user ID.
 */
async function registeredWithOneFailure(username: string): Promise<string> {
  const fast = entry(`${doubleEndpoint}/v1`);
  const registered = await post(fast, '/register', { username, password: PASSWORD });
  expect(registered.statusCode).toBe(201);
  expect((await post(fast, '/login', { username, password: 'not the password at all' })).statusCode).toBe(401);
  return (registered.json() as { userId: string }).userId;
}

const clearedCounters = () => proxy.calls.filter((call) => call.method === 'DELETE' && call.path.includes('/tablesdb/'));
const tokenCalls = () => proxy.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/tokens'));

describe('a login that outlives REQUEST_TIMEOUT_MS', () => {
  it('gets 503, and after it the abandoned login clears no counter, mints no token and delivers nothing', async () => {
    const userId = await registeredWithOneFailure('alice');
    proxy.calls.length = 0;

    const result = await post(entry(proxy.endpoint, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }), '/login', {
      username: 'alice',
      password: PASSWORD,
    });
    expect(result.statusCode).toBe(503);
    expect(result.json()).toMatchObject({ code: 503, type: 'appwrite_unavailable' });
    // The deadline fell mid-login: Appwrite had been asked something.
    expect(proxy.calls.length).toBeGreaterThan(0);

    // Whatever the abandoned work still does, it does within a few calls' time.
    await proxy.quiet(5 * DELAY_MS);
    expect(clearedCounters(), 'delay counters cleared after the deadline').toEqual([]);
    expect(tokenCalls(), 'token requested after the deadline').toEqual([]);
    expect(store.tokensOf(userId)).toEqual([]);
    expect(store.outbox.list()).toEqual([]);
    // The execution's log, which keeps growing after the answer, says the work stopped.
    const logged = [...result.logs, ...result.errors].join('\n');
    expect(logged).not.toMatch(/token_issued|login_succeeded/);
    expect(logged).toMatch(/request_abandoned|reason="request_abandoned"/);
  });

  it('with a budget it fits in, the same slow login clears the counters and gets its token (the check above can fail)', async () => {
    const userId = await registeredWithOneFailure('bob');
    proxy.calls.length = 0;

    const result = await post(entry(proxy.endpoint, { REQUEST_TIMEOUT_MS: '20000' }), '/login', { username: 'bob', password: PASSWORD });
    expect(result.statusCode).toBe(200);
    expect(clearedCounters().length).toBeGreaterThan(0);
    expect(tokenCalls()).toHaveLength(1);
    expect(store.tokensOf(userId)).toHaveLength(1);
  });
});
