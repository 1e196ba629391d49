/**
 * What the guard gives back, and to whom, when a store can give hits back: only the hits counted
 * after the first refusal in rule order, each to its own counter with the window it was counted in;
 * never a refused or failed count; a lost give-back is logged and never turns into an error. And the
 * 429 it answers: one body for everyone, the headers saying when to come back.
 *
 * The store here is a recording implementation of the kit's own `RateLimitStore` port (no vendor
 * behind it), so each test decides which counter refuses.
 */
import { describe, expect, it } from 'vitest';
import { KitError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { createRateLimitGuard, type LimitCheck } from '../../shared/rate-limit/guard.js';
import type { ConsumeResult, RateLimitRule, RateLimitStore } from '../../shared/rate-limit/store.js';
import { manualClock } from '../helpers/clock.js';

const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const minute = { limit: 5, windowSeconds: 60 };
const quarter = { limit: 10, windowSeconds: 900 };
const hour = { limit: 20, windowSeconds: 3600 };

type Answer = 'allow' | 'refuse' | 'fail';

/** A store whose answer per counter (`key limit/window`) the test sets; it records what it is asked. */
function recordingStore(answers: Record<string, Answer>, options: { giveBackFails?: boolean } = {}) {
  const started: string[] = [];
  const givenBack: Array<{ counter: string; resetAt: number }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const name = (key: string, rule: RateLimitRule) => `${key} ${rule.limit}/${rule.windowSeconds}`;
  // Each counter's window ends at a different time, so a give-back to the wrong window shows.
  const resetAtOf = (rule: RateLimitRule) => now + rule.windowSeconds * 1000;
  const store: RateLimitStore = {
    async consume(key, rule): Promise<ConsumeResult> {
      const counter = name(key, rule);
      started.push(counter);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const answer = answers[counter] ?? 'allow';
      if (answer === 'fail') throw new KitError('rate_limiter_unavailable', 'The store is down.');
      return { allowed: answer === 'allow', remaining: answer === 'allow' ? 1 : 0, resetAt: resetAtOf(rule) };
    },
    async reset() {},
    async giveBack(key, rule, resetAt) {
      if (options.giveBackFails) throw new Error('store down');
      givenBack.push({ counter: name(key, rule), resetAt });
    },
  };
  return { store, started, givenBack, mostInFlight: () => mostInFlight };
}

function guardOver(store: RateLimitStore, lines: string[] = []) {
  return createRateLimitGuard({ store, clock: manualClock(now), logger: createLogger((line) => lines.push(line)) });
}

const caught = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error as KitError);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const account: LimitCheck = { scope: 'login.account', subject: 'acct:alice', rules: [minute, quarter, hour] };
const address: LimitCheck = { scope: 'login.ip', subject: 'ip:v4:203.0.113.7', rules: [minute] };

describe('the guard over a store that can give hits back', () => {
  it('counts every rule of a request at once instead of one after another', async () => {
    const { store, started, mostInFlight } = recordingStore({});
    await guardOver(store).enforce([address, account]);
    expect(started).toHaveLength(4);
    expect(mostInFlight()).toBe(4);
  });

  it('gives back each hit counted after the first refusal, to its own counter and window, and nothing else', async () => {
    const { store, givenBack } = recordingStore({
      'login.ip|ip:v4:203.0.113.7 5/60': 'refuse',
    });
    const refusal = await caught(guardOver(store).enforce([address, account]));
    expect(refusal?.type).toBe('rate_limited');
    await settle();
    expect(givenBack).toEqual([
      { counter: 'login.account|acct:alice 5/60', resetAt: now + 60_000 },
      { counter: 'login.account|acct:alice 10/900', resetAt: now + 900_000 },
      { counter: 'login.account|acct:alice 20/3600', resetAt: now + 3_600_000 },
    ]);
  });

  it('gives back no hit that was refused or failed, since neither was counted', async () => {
    const { store, givenBack } = recordingStore({
      'login.account|acct:alice 5/60': 'refuse',
      'login.account|acct:alice 10/900': 'refuse',
      'login.account|acct:alice 20/3600': 'fail',
    });
    const refusal = await caught(guardOver(store).enforce([account]));
    // The first refusal in rule order decides: 429, not the later failure's 503.
    expect(refusal?.type).toBe('rate_limited');
    await settle();
    expect(givenBack).toEqual([]);
  });

  it('keeps nothing of an allowed request: no give-back when every rule passes', async () => {
    const { store, givenBack } = recordingStore({});
    await guardOver(store).enforce([address, account]);
    await settle();
    expect(givenBack).toEqual([]);
  });

  it('logs a give-back that is lost as rate_limit_hit_kept, and still answers the refusal', async () => {
    const lines: string[] = [];
    const { store } = recordingStore({ 'login.ip|ip:v4:203.0.113.7 5/60': 'refuse' }, { giveBackFails: true });
    const refusal = await caught(guardOver(store, lines).enforce([address, account]));
    expect(refusal?.type).toBe('rate_limited');
    await settle();
    const kept = lines.filter((line) => line.includes('rate_limit_hit_kept'));
    expect(kept).toHaveLength(3);
    expect(kept[0]).toContain('scope="login.account"');
    expect(kept[0]).toContain('rule="5/60"');
  });

  it('answers a 429 with the same body for every subject, and headers that say when to come back', async () => {
    const { store } = recordingStore({ 'login.account|acct:alice 10/900': 'refuse' });
    const refusal = await caught(guardOver(store).enforce([account]));
    expect(refusal).toBeInstanceOf(KitError);
    expect(refusal?.status).toBe(429);
    expect(refusal?.message).toBe('Too many attempts. Try again later.');
    expect(refusal?.headers).toEqual({
      'Retry-After': '900',
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '900',
    });
  });
});
