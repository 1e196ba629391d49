/**
 * Appwrite's abuse limits (`utopia-php/abuse` `TimeLimit`) for the embedded double: a fixed window
 * starting at `floor(now / seconds) * seconds`, a hit counted for each allowed request, refusal
 * once the window holds `limit` hits, and a reset after a success where the route says so.
 *
 * Appwrite keeps its counters in a database its maintenance job prunes; the double keeps them in a
 * map of at most `maxAbuseCounters` keys, forgets those whose window has ended when it fills, and
 * refuses a new key while every counter in it is still live, rather than dropping one (dropping
 * would let whoever fills the map reset someone else's counter).
 *
 * @module
 */
import type { Context } from 'hono';
import type { DevAppwriteContext } from './context.js';
import { AppwriteError } from './errors.js';
import type { DevAppwriteStore } from './store.js';

/** One route's abuse rule, as Appwrite's `abuse-limit` and `abuse-time` labels give it. */
export interface AbuseRule {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in seconds. Appwrite's default: 3600. */
  seconds: number;
}

/**
 * How many abuse counters the double keeps by default: far more than a developer's traffic, little
 * memory (a counter is a short key and two numbers).
 */
export const DEFAULT_MAX_ABUSE_COUNTERS = 10_000;

/**
 * Counts a request against `key`, sets Appwrite's `X-RateLimit-*` headers, and throws 429
 * `general_rate_limit_exceeded` once the window is full, or when the map is full of live counters
 * and `key` is new. A refused request is not counted.
 *
 * @example
 * ```ts
 * enforceAbuseLimit(c, ctx, `ip:${ip},userId:${userId}`, { limit: 10, seconds: 3600 });
 * ```
 */
export function enforceAbuseLimit(c: Context, ctx: DevAppwriteContext, key: string, rule: AbuseRule): void {
  const { store } = ctx;
  const nowSeconds = ctx.clock.now() / 1000;
  const windowStart = Math.floor(nowSeconds / rule.seconds) * rule.seconds;
  const windowEnd = windowStart + rule.seconds;
  const stored = store.abuse.get(key);
  const counter = stored && stored.windowStart === windowStart ? stored : { windowStart, windowEnd, hits: 0 };
  c.header('X-RateLimit-Limit', String(rule.limit));
  c.header('X-RateLimit-Remaining', String(Math.max(0, rule.limit - counter.hits)));
  c.header('X-RateLimit-Reset', String(windowEnd));
  if (counter.hits >= rule.limit) throw new AppwriteError('general_rate_limit_exceeded');
  if (!stored && !makeRoom(store, ctx.maxAbuseCounters, nowSeconds)) throw new AppwriteError('general_rate_limit_exceeded');
  counter.hits += 1;
  store.abuse.set(key, counter);
}

/** Frees a place for a new counter: true if there is one, after forgetting ended windows if needed. */
function makeRoom(store: DevAppwriteStore, maxCounters: number, nowSeconds: number): boolean {
  if (store.abuse.size < maxCounters) return true;
  for (const [key, counter] of store.abuse) {
    if (counter.windowEnd <= nowSeconds) store.abuse.delete(key);
  }
  return store.abuse.size < maxCounters;
}

/**
 * Forgets the hits under `key` (Appwrite's `abuse-reset` after a listed success status).
 *
 * @example
 * ```ts
 * resetAbuseLimit(store, `ip:${ip},userId:${userId}`);
 * ```
 */
export function resetAbuseLimit(store: DevAppwriteStore, key: string): void {
  store.abuse.delete(key);
}
