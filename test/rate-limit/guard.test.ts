/**
 * The rate-limit guard over the memory store: `within` counts like `enforce` without refusing, and a
 * refusal's log line carries the check's log fields.
 */
import { describe, expect, it } from 'vitest';
import { KitError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { manualClock } from '../helpers/clock.js';

function setup() {
  const clock = manualClock(Date.UTC(2026, 0, 15, 12));
  const lines: string[] = [];
  const guard = createRateLimitGuard({ store: createMemoryStore({ clock }), clock, logger: createLogger((line) => lines.push(line)) });
  return { clock, lines, guard };
}

const check: LimitCheck = { scope: 'test.failures', subject: 'acct:username:abc', rules: [{ limit: 2, windowSeconds: 60 }, { limit: 3, windowSeconds: 3600 }] };

describe('within', () => {
  it('answers true while every rule has room, then false, logging nothing', async () => {
    const { guard, lines, clock } = setup();
    expect([await guard.within(check), await guard.within(check), await guard.within(check)]).toEqual([true, true, false]);
    clock.advance(60_000);
    // The hour's rule still had room for one; the refused attempt was not counted.
    expect([await guard.within(check), await guard.within(check)]).toEqual([true, false]);
    expect(lines).toEqual([]);
  });

  it('counts on the same counters as enforce, and clear forgets them', async () => {
    const { guard } = setup();
    await guard.enforce([check]);
    expect(await guard.within(check)).toBe(true);
    expect(await guard.within(check)).toBe(false);
    await expect(guard.enforce([check])).rejects.toMatchObject({ type: 'rate_limited' });
    await guard.clear([check]);
    expect(await guard.within(check)).toBe(true);
  });
});

describe('enforce', () => {
  it('adds the check\'s log fields to the line of a refusal', async () => {
    const { guard, lines } = setup();
    const logged = { ...check, rules: [{ limit: 1, windowSeconds: 60 }], logFields: { account: '0123456789abcdef', ip: 'ip:v4:203.0.113.7' } };
    await guard.enforce([logged]);
    const refusal = await guard.enforce([logged]).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(KitError);
    expect(lines).toEqual(['rate_limited scope="test.failures" rule="1/60" retryAfter="60" account="0123456789abcdef" ip="ip:v4:203.0.113.7"']);
  });
});
