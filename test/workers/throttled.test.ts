// Throttled logins on the real Worker inside workerd: once a locked account's window is sealed
// (shared/rate-limit/durable-object.ts), the isolate answers its flood from memory, counting nothing
// else, and a cleared account is never refused by what an isolate remembers.
import { env } from 'cloudflare:workers';
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../entries/worker.js';
import { SEAL_AFTER_IDLE_MS } from '../../shared/rate-limit/durable-object.js';
import type { CounterNamespace } from '../../shared/rate-limit/durable-object-store.js';
import { accountKey } from '../../shared/rate-limit/keys.js';
import { counterName } from '../../shared/rate-limit/store.js';

const origin = 'https://kit.test';

async function login(testEnv: Record<string, unknown>, username: string, password: string, clientIp: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${origin}/password/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': clientIp },
      body: JSON.stringify({ username, password }),
    }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

/** As if the account's delay counter had admitted nothing for the idle period a seal needs. */
async function ageAccountDelays(username: string, rule: { limit: number; windowSeconds: number }): Promise<void> {
  const namespace = env['RATE_LIMITER'] as CounterNamespace;
  const name = counterName(`password.account|${await accountKey('username', username)}`, rule);
  await runInDurableObject(namespace.get(namespace.idFromName(name)), (_instance, state) => {
    state.storage.sql.exec('UPDATE counter SET admitted_at = admitted_at - ?', SEAL_AFTER_IDLE_MS);
  });
}

/** The hits the account's delay counter holds now (0 once cleared). */
async function delayHits(username: string, rule: { limit: number; windowSeconds: number }): Promise<number> {
  const namespace = env['RATE_LIMITER'] as CounterNamespace;
  const name = counterName(`password.account|${await accountKey('username', username)}`, rule);
  return runInDurableObject(namespace.get(namespace.idFromName(name)), (_instance, state) => {
    const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'counter'") as { toArray(): unknown[] };
    if (tables.toArray().length === 0) return 0;
    const rows = state.storage.sql.exec('SELECT hits FROM counter') as { toArray(): { hits: number }[] };
    return rows.toArray()[0]?.hits ?? 0;
  });
}

// Day-long windows, so that no window ends in the middle of a test.
describe('throttled logins (Worker, Durable Object store)', () => {
  it('answers a flood on a locked, sealed account without counting the addresses it comes from', async () => {
    // One login per address per day: an attempt counted against an address shows at its second login.
    const testEnv = { ...env, PASSWORD_LIMIT_ACCOUNT: '5/86400', PASSWORD_LIMIT_LOGIN_IP: '1/86400' };
    const username = 'worker-sealed';
    for (let i = 0; i < 5; i++) expect((await login(testEnv, username, 'guess guess guess', `198.51.100.${10 + i}`)).status).toBe(401);
    await ageAccountDelays(username, { limit: 5, windowSeconds: 86400 });
    const sealing = await login(testEnv, username, 'guess guess guess', '198.51.100.20');
    expect(sealing.status).toBe(429);

    const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => login(testEnv, username, 'guess guess guess', `192.0.2.${100 + i}`)));
    expect(flood.map((response) => response.status)).toEqual(flood.map(() => 429));
    const remembered = flood[0]!;
    expect(await remembered.json()).toEqual(await sealing.json());
    expect(remembered.headers.get('ratelimit-limit')).toBe('5');
    expect(Number(remembered.headers.get('retry-after'))).toBeGreaterThan(0);

    // The flood spent none of its addresses' logins: each still has its one.
    expect((await login(testEnv, 'worker-someone-else', 'guess guess guess', '192.0.2.100')).status).toBe(401);
    expect((await login(testEnv, 'worker-someone-else', 'guess guess guess', '192.0.2.100')).status).toBe(429);
  });

  it('lets the owner back in after a success cleared the delays, refusals before it notwithstanding', async () => {
    const testEnv = { ...env, PASSWORD_LIMIT_ACCOUNT: '3/86400' };
    const username = 'worker-owner';
    const password = 'the owner knows this one';
    const register = await worker.fetch(
      new Request(`${origin}/password/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.60' },
        body: JSON.stringify({ username, password }),
      }),
      testEnv,
      createExecutionContext(),
    );
    expect(register.status).toBe(201);
    // Two guesses, then the owner's login (the third admission fills the counter) and, while it
    // verifies the password, two more guesses refused by the full counter.
    for (let i = 0; i < 2; i++) expect((await login(testEnv, username, 'guess guess guess', '203.0.113.61')).status).toBe(401);
    let settled = false;
    const owner = login(testEnv, username, password, '203.0.113.62').finally(() => (settled = true));
    while ((await delayHits(username, { limit: 3, windowSeconds: 86400 })) < 3) {
      if (settled) throw new Error('the owner logged in before the guesses could be refused');
    }
    const refused = await Promise.all([1, 2].map(() => login(testEnv, username, 'guess guess guess', '203.0.113.63')));
    expect((await owner).status).toBe(200);
    expect(refused.map((response) => response.status)).toEqual([429, 429]);

    // Cleared: the owner (and, as before, anyone) is counted afresh, by the object and the isolate alike.
    expect((await login(testEnv, username, password, '203.0.113.62')).status).toBe(200);
  });
});
