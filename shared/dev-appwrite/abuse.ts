/**
 * Appwrite's abuse limits (`utopia-php/abuse` `TimeLimit`) for the embedded double: a fixed window
 * starting at `floor(now / seconds) * seconds`, a hit counted for each allowed request, refusal
 * once the window holds `limit` hits, and a reset after a success where the route says so.
 *
 * @module
 */
import type { Context } from 'hono';
import type { DevAppwriteStore } from './store.js';
import { AppwriteError } from './errors.js';

/** One route's abuse rule, as Appwrite's `abuse-limit` and `abuse-time` labels give it. */
export interface AbuseRule {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in seconds. Appwrite's default: 3600. */
  seconds: number;
}

/**
 * Counts a request against `key`, sets Appwrite's `X-RateLimit-*` headers, and throws 429
 * `general_rate_limit_exceeded` once the window is full. A refused request is not counted.
 *
 * @example
 * ```ts
 * enforceAbuseLimit(c, store, `ip:${ip},userId:${userId}`, { limit: 10, seconds: 3600 }, clock.now());
 * ```
 */
export function enforceAbuseLimit(c: Context, store: DevAppwriteStore, key: string, rule: AbuseRule, nowMs: number): void {
  const windowStart = Math.floor(nowMs / 1000 / rule.seconds) * rule.seconds;
  const stored = store.abuse.get(key);
  const counter = stored && stored.windowStart === windowStart ? stored : { windowStart, hits: 0 };
  c.header('X-RateLimit-Limit', String(rule.limit));
  c.header('X-RateLimit-Remaining', String(Math.max(0, rule.limit - counter.hits)));
  c.header('X-RateLimit-Reset', String(windowStart + rule.seconds));
  if (counter.hits >= rule.limit) throw new AppwriteError('general_rate_limit_exceeded');
  counter.hits += 1;
  store.abuse.set(key, counter);
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
