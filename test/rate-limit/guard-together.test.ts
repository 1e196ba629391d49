/**
 * The guard over the Appwrite store, which can give hits back: every rule of a request is counted at
 * once, and the hits counted after the first refusal (or failure) in order are given back after the
 * answer. Bounds must stay exact when requests race, failures must still fail closed, and once the
 * hits are given back the counters must read as if the rules had been counted one at a time.
 * Against the embedded Appwrite double over real HTTP on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../shared/log.js';
import { createAppwriteStore, rateLimitRowId } from '../../shared/rate-limit/appwrite-store.js';
import { RATE_LIMIT_DATABASE_ID as databaseId, RATE_LIMIT_TABLE_ID as tableId } from '../../shared/rate-limit/appwrite-table.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import { windowAt, type RateLimitRule } from '../../shared/rate-limit/store.js';
import { close, listen, startTablesDouble, type RunningTablesDouble } from './tables-double.js';

const start = Date.UTC(2026, 0, 15, 12, 0, 0);
let double: RunningTablesDouble;
beforeAll(async () => {
  double = await startTablesDouble(start);
});
afterAll(() => double.close());

function guardOver(endpoint = double.endpoint, lines: string[] = []) {
  const store = createAppwriteStore({ ...double.connection(), APPWRITE_ENDPOINT: endpoint }, { logger: silentLogger, clock: double.clock });
  return createRateLimitGuard({ store, clock: double.clock, logger: createLogger((line) => lines.push(line)) });
}

/** A counter's hits in its current window (0 when it has no row). */
async function hitsOf(check: LimitCheck, rule: RateLimitRule): Promise<number> {
  const rowId = await rateLimitRowId(`${check.scope}|${check.subject}`, rule, windowAt(double.clock.now(), rule).index);
  try {
    return (await double.tables().getRow({ databaseId, tableId, rowId }))['hits'] as number;
  } catch {
    return 0;
  }
}

const outcome = (promise: Promise<void>) =>
  promise.then(
    () => 'allowed',
    (error: { type?: string }) => error.type ?? 'thrown',
  );

describe('the guard counting a request\'s rules together', () => {
  it('when 25 requests race on a 5/60 + 100/3600 check, exactly 5 pass, and the hour counts those 5 only', async () => {
    const guard = guardOver();
    const minute = { limit: 5, windowSeconds: 60 };
    const hour = { limit: 100, windowSeconds: 3600 };
    const check: LimitCheck = { scope: 'race.one', subject: 'ip:v4:203.0.113.7', rules: [minute, hour] };

    const outcomes = await Promise.all(Array.from({ length: 25 }, () => outcome(guard.enforce([check]))));
    expect(outcomes.filter((each) => each === 'allowed')).toHaveLength(5);
    expect(outcomes.filter((each) => each === 'rate_limited')).toHaveLength(20);
    expect(await hitsOf(check, minute)).toBe(5);
    // The 20 refused by the minute were counted in the hour too, then given back after their answers.
    await expect.poll(() => hitsOf(check, hour)).toBe(5);
  });

  it('when 30 requests race on an address (10/60) then an account (5/60), never more than 5 pass, and the account counts only those that passed', async () => {
    const guard = guardOver();
    const rule = (limit: number) => ({ limit, windowSeconds: 60 });
    const address: LimitCheck = { scope: 'race.ip', subject: 'ip:v4:203.0.113.8', rules: [rule(10)] };
    const account: LimitCheck = { scope: 'race.account', subject: 'acct:username:race', rules: [rule(5)] };

    const outcomes = await Promise.all(Array.from({ length: 30 }, () => outcome(guard.enforce([address, account]))));
    const passed = outcomes.filter((each) => each === 'allowed').length;
    expect(passed).toBeLessThanOrEqual(5);
    expect(passed).toBeGreaterThan(0);
    // The address comes first: it counts every attempt it let through, refused by the account or not.
    expect(await hitsOf(address, rule(10))).toBe(10);
    // An attempt the address refused gives its account hit back: the account is left with the passes.
    await expect.poll(() => hitsOf(account, rule(5))).toBe(passed);
  });

  it('a refusal decides by order: a later rule that refused too, or failed, changes nothing', async () => {
    const guard = guardOver();
    const one = { limit: 1, windowSeconds: 60 };
    const first: LimitCheck = { scope: 'order.first', subject: 'ip:v4:203.0.113.9', rules: [one] };
    const second: LimitCheck = { scope: 'order.second', subject: 'ip:v4:203.0.113.9', rules: [one] };
    await guard.enforce([first, second]);
    // Both are full now; the first in order is the one that refuses.
    await expect(guard.enforce([first, second])).rejects.toMatchObject({ type: 'rate_limited', headers: { 'RateLimit-Limit': '1' } });
  });

  describe('fails closed', () => {
    /** Appwrite answering 500 to the increments of one row, and passing everything else to the double. */
    async function failingRow(rowId: string) {
      const server = await listen(async (request) => {
        const url = new URL(request.url);
        if (url.pathname.includes(`/rows/${rowId}/`)) {
          return Response.json({ message: 'boom', code: 500, type: 'general_unknown', version: '1.9.6' }, { status: 500 });
        }
        const body = request.method === 'GET' ? undefined : await request.arrayBuffer();
        const headers = new Headers(request.headers);
        headers.delete('host');
        headers.delete('content-length');
        return fetch(new URL(`${url.pathname}${url.search}`, double.endpoint), { method: request.method, headers, body });
      });
      return { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, close: () => close(server) };
    }

    it('when one increment of several fails: 503 rate_limiter_unavailable; what was counted before it stays, what was counted after it is given back', async () => {
      const rule = { limit: 10, windowSeconds: 60 };
      const before: LimitCheck = { scope: 'fail.before', subject: 'ip:v4:203.0.113.10', rules: [rule] };
      const failing: LimitCheck = { scope: 'fail.middle', subject: 'ip:v4:203.0.113.10', rules: [rule] };
      const after: LimitCheck = { scope: 'fail.after', subject: 'ip:v4:203.0.113.10', rules: [rule] };
      const appwrite = await failingRow(await rateLimitRowId(`${failing.scope}|${failing.subject}`, rule, windowAt(double.clock.now(), rule).index));
      try {
        const lines: string[] = [];
        const guard = guardOver(appwrite.endpoint, lines);
        // The rows exist, so the increments are the calls that decide.
        await guardOver().enforce([before, failing, after]);

        await expect(guard.enforce([before, failing, after])).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
        expect(await hitsOf(before, rule)).toBe(2);
        await expect.poll(() => hitsOf(after, rule)).toBe(1);
        expect(lines.join('\n')).not.toContain('rate_limited');
      } finally {
        await appwrite.close();
      }
    });

    it('when a rule before the failing one refuses, the answer is the refusal (429), as one at a time would give', async () => {
      const full = { limit: 1, windowSeconds: 60 };
      const rule = { limit: 10, windowSeconds: 60 };
      const refusing: LimitCheck = { scope: 'fail.refusing', subject: 'ip:v4:203.0.113.11', rules: [full] };
      const failing: LimitCheck = { scope: 'fail.later', subject: 'ip:v4:203.0.113.11', rules: [rule] };
      const appwrite = await failingRow(await rateLimitRowId(`${failing.scope}|${failing.subject}`, rule, windowAt(double.clock.now(), rule).index));
      try {
        await guardOver().enforce([refusing]);
        await expect(guardOver(appwrite.endpoint).enforce([refusing, failing])).rejects.toMatchObject({ type: 'rate_limited', status: 429 });
      } finally {
        await appwrite.close();
      }
    });
  });
});
