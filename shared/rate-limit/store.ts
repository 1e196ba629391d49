/**
 * The rate-limit store port: one atomic operation (`consume`) and `reset`, over fixed windows.
 *
 * Appwrite does not rate-limit function executions, and API-key calls skip its abuse limits, so the
 * kit counts attempts itself. Every store implements exactly this port, and every store must make
 * `consume` atomic: a limit that concurrent calls can exceed is a bug, not a tolerance.
 *
 * Windows are fixed and aligned to the Unix epoch (`floor(now / window)`), the same scheme as
 * Appwrite's own abuse limiter. A client can therefore spend up to twice the limit across one window
 * boundary; policies that care use a second, longer rule (see `policies.ts`).
 *
 * @module
 */
import * as z from 'zod';
import { KitError } from '../errors.js';

/** Largest allowed `limit`: far above any login policy, and well inside every store's integer range. */
export const RULE_LIMIT_MAX = 1_000_000;
/** Longest allowed window: one year. Longer windows are lockouts, which this layer does not model. */
export const RULE_WINDOW_MAX_SECONDS = 366 * 24 * 60 * 60;

/** At most `limit` hits per fixed window of `windowSeconds`. */
export interface RateLimitRule {
  /** Hits allowed per window; at least 1. */
  limit: number;
  /** Window length in whole seconds; at least 1. */
  windowSeconds: number;
}

/** What `consume` decided. */
export interface ConsumeResult {
  /** Whether this hit was counted. A refused hit is not counted. */
  allowed: boolean;
  /** Hits left in the current window after this one. */
  remaining: number;
  /** When the current window ends, in milliseconds since the Unix epoch. */
  resetAt: number;
}

/**
 * Options of one `consume`.
 *
 * @example
 * ```ts
 * await store.consume(key, rule, { seal: true }); // the guard's enforce
 * ```
 */
export interface ConsumeOptions {
  /**
   * The caller stops at a refusal (the guard's `enforce`), so the store may seal a window that keeps
   * refusing: from then on it refuses every hit until the window ends and `reset` leaves it as it is,
   * and its refusals can be answered from memory (the Durable Object store does; see
   * `durable-object.ts` for when and why that is safe). Never for a threshold that a success clears
   * after it refused (`within`).
   */
  seal?: boolean;
}

/**
 * Where counters live. `consume` is the only way to count, and it is atomic; `reset` forgets the
 * current window's count (used after a successful login).
 *
 * A store that cannot be reached throws `KitError('rate_limiter_unavailable')`, so callers fail
 * closed: an attacker must not gain attempts by making the store slow or unreachable.
 *
 * @example
 * ```ts
 * const result = await store.consume('ip:v4:203.0.113.7', { limit: 5, windowSeconds: 60 });
 * if (!result.allowed) throw new KitError('rate_limited', 'Too many attempts.', retryAfterHeader(result, clock.now()));
 * ```
 */
export interface RateLimitStore {
  /** Counts one hit against `key` under `rule` if the window still has room. */
  consume(key: string, rule: RateLimitRule, options?: ConsumeOptions): Promise<ConsumeResult>;
  /** Forgets the current window's count of `key` under `rule`, unless the window is sealed. */
  reset(key: string, rule: RateLimitRule): Promise<void>;
  /**
   * Optional, synchronous: a refusal this store already knows holds (a sealed window it remembers),
   * without asking anyone, or `null`. Lets the guard refuse a request before counting anything.
   */
  knownRefusal?(key: string, rule: RateLimitRule): ConsumeResult | null;
  /**
   * Optional: takes back one hit `consume` counted (allowed) for `key` under `rule` in the window
   * that ends at `resetAt` (the `resetAt` of that result), never going below zero. A store whose
   * every call is a network round trip has it, so the guard can count a request's rules all at
   * once and take back the hits that counting one at a time would never have made (see
   * `guard.ts`). A store without it is counted one rule at a time.
   */
  giveBack?(key: string, rule: RateLimitRule, resetAt: number): Promise<void>;
}

/** The zod schema of one rule; every store validates what it is handed. */
export const rateLimitRuleSchema = z.object({
  limit: z.number().int().min(1).max(RULE_LIMIT_MAX),
  windowSeconds: z.number().int().min(1).max(RULE_WINDOW_MAX_SECONDS),
});

/** Longest accepted key. Keys are built by `keys.ts` and stay far below this. */
export const KEY_MAX_LENGTH = 512;

/** The zod schema of a key: non-empty, bounded, printable ASCII (keys end up in object names and hashes). */
export const rateLimitKeySchema = z
  .string()
  .min(1)
  .max(KEY_MAX_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * Validates a key and a rule, throwing a programming error (not a client error) when they are bad:
 * keys and rules come from the kit's own code and configuration, never from a request.
 *
 * @example
 * ```ts
 * const { key, rule } = checkConsumeInput('ip:unknown', { limit: 5, windowSeconds: 60 });
 * ```
 */
export function checkConsumeInput(key: string, rule: RateLimitRule): { key: string; rule: RateLimitRule } {
  const parsedKey = rateLimitKeySchema.safeParse(key);
  if (!parsedKey.success) throw new TypeError('Invalid rate-limit key.');
  const parsedRule = rateLimitRuleSchema.safeParse(rule);
  if (!parsedRule.success) throw new TypeError(`Invalid rate-limit rule ${JSON.stringify(rule)}.`);
  return { key: parsedKey.data, rule: parsedRule.data };
}

/** The fixed window that contains an instant. */
export interface Window {
  /** `floor(now / windowMs)`: the same number for every instant in the window. */
  index: number;
  /** When the window ends, in milliseconds since the Unix epoch. */
  resetAt: number;
}

/**
 * The fixed window containing `now` under `rule`.
 *
 * @example
 * ```ts
 * windowAt(90_000, { limit: 5, windowSeconds: 60 }); // { index: 1, resetAt: 120000 }
 * ```
 */
export function windowAt(now: number, rule: RateLimitRule): Window {
  const windowMs = rule.windowSeconds * 1000;
  const index = Math.floor(now / windowMs);
  return { index, resetAt: (index + 1) * windowMs };
}

/**
 * The name of one counter: a key under one rule. Two rules on the same key (say 5/60 and 20/3600)
 * are two counters, so stores key their state by this name, never by the bare key.
 *
 * @example
 * ```ts
 * counterName('ip:unknown', { limit: 5, windowSeconds: 60 }); // 'ip:unknown|5/60'
 * ```
 */
export function counterName(key: string, rule: RateLimitRule): string {
  return `${key}|${rule.limit}/${rule.windowSeconds}`;
}

/**
 * The `Retry-After` header (whole seconds, at least 1) for a refused hit.
 *
 * @example
 * ```ts
 * retryAfterHeader({ allowed: false, remaining: 0, resetAt: 120_000 }, 90_500); // { 'Retry-After': '30' }
 * ```
 */
export function retryAfterHeader(result: ConsumeResult, now: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil((result.resetAt - now) / 1000))) };
}

/**
 * The error every store throws when it cannot answer. Its message is safe for clients: it names
 * no host, key or internal detail.
 *
 * @example
 * ```ts
 * throw rateLimiterUnavailable();
 * ```
 */
export function rateLimiterUnavailable(): KitError {
  return new KitError('rate_limiter_unavailable', 'The rate limiter is unavailable. Try again later.');
}
