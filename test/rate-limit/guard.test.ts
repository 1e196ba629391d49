/**
 * The rate-limit guard over the memory store: `within` counts like `enforce` without refusing, and a
 * refusal's log line carries the check's log fields.
 */
import { describe, expect, it } from 'vitest';
import { KitError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import type { ConsumeOptions, RateLimitRule, RateLimitStore } from '../../shared/rate-limit/store.js';
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

describe('known refusals (a store that remembers sealed windows)', () => {
  /** A memory store that records what the guard asks, and knows the refusals it is told to. */
  function rememberingStore(clock: ReturnType<typeof manualClock>) {
    const inner = createMemoryStore({ clock });
    const known = new Set<string>();
    const consumed: { key: string; seal: boolean }[] = [];
    const store: RateLimitStore = {
      consume: (key: string, rule: RateLimitRule, options?: ConsumeOptions) => {
        consumed.push({ key: `${key}|${rule.limit}/${rule.windowSeconds}`, seal: options?.seal === true });
        return inner.consume(key, rule);
      },
      reset: (key, rule) => inner.reset(key, rule),
      knownRefusal: (key, rule) => (known.has(`${key}|${rule.limit}/${rule.windowSeconds}`) ? { allowed: false, remaining: 0, resetAt: clock.now() + 60_000 } : null),
    };
    return { store, known, consumed };
  }

  const ip: LimitCheck = { scope: 'test.ip', subject: 'ip:v4:203.0.113.7', rules: [{ limit: 5, windowSeconds: 60 }] };
  const account: LimitCheck = { scope: 'test.account', subject: 'acct:username:abc', rules: [{ limit: 2, windowSeconds: 60 }] };

  it('refuses before counting anything when a later check is known to refuse', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 12));
    const { store, known, consumed } = rememberingStore(clock);
    const lines: string[] = [];
    const guard = createRateLimitGuard({ store, clock, logger: createLogger((line) => lines.push(line)) });
    known.add('test.account|acct:username:abc|2/60');
    await expect(guard.enforce([ip, account])).rejects.toMatchObject({ type: 'rate_limited', headers: { 'RateLimit-Limit': '2', 'Retry-After': '60' } });
    expect(consumed).toEqual([]);
    expect(lines).toEqual(['rate_limited scope="test.account" rule="2/60" retryAfter="60"']);
  });

  it('asks enforce\'s counts to seal, never within\'s', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 12));
    const { store, consumed } = rememberingStore(clock);
    const guard = createRateLimitGuard({ store, clock, logger: createLogger(() => {}) });
    await guard.enforce([ip]);
    await guard.within(account);
    expect(consumed.map((entry) => entry.seal)).toEqual([true, false]);
  });
});
