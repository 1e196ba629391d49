/**
 * Applies rate-limit rules to a request: the piece a route calls before doing any costly work.
 *
 * A route names what it limits (`LimitCheck`: a scope, a subject key from `keys.ts`, and the
 * rules); the guard consumes one attempt from each rule in order and refuses with 429 at the
 * first that is exhausted. Later checks are not consumed once one refuses, so an address that is
 * already blocked cannot also run down an account's allowance.
 *
 * @module
 */
import { KitError } from '../errors.js';
import type { LogFields, Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { retryAfterHeader, type ConsumeResult, type RateLimitRule, type RateLimitStore } from './store.js';

/** One thing to limit: e.g. scope `login.account`, subject `acct:username:…`, rules `5/60,20/3600`. */
export interface LimitCheck {
  /** Stable name of the limit, used in store keys and logs. */
  scope: string;
  /** Whose attempts these are, built with `clientIpKey` or `accountKey`. Never a raw identifier. */
  subject: string;
  rules: readonly RateLimitRule[];
  /**
   * Added to the `rate_limited` log line when this check refuses: who the attempt was about, for an
   * audit trail (a keyed account reference, the client IP bucket). Never a raw identifier.
   */
  logFields?: LogFields;
}

/** Consumes and clears limits. */
export interface RateLimitGuard {
  /** Consumes one attempt from every rule of every check, in order; throws 429 `rate_limited` on the first refusal. */
  enforce(checks: readonly LimitCheck[]): Promise<void>;
  /**
   * Consumes one attempt from every rule of a check, in order, as `enforce` does, but answers
   * instead of refusing: `false` from the first exhausted rule on, logging nothing. For a threshold
   * that changes what a request needs (a captcha after N failed logins), not whether it may go on.
   */
  within(check: LimitCheck): Promise<boolean>;
  /** Forgets the current windows of these checks, e.g. an account's failures after a successful login. */
  clear(checks: readonly LimitCheck[]): Promise<void>;
}

/**
 * Creates a guard over a store.
 *
 * @example
 * ```ts
 * const guard = createRateLimitGuard({ store: createMemoryStore(), clock: systemClock, logger });
 * await guard.enforce([{ scope: 'login.ip', subject: clientIpKey(ip), rules: [{ limit: 20, windowSeconds: 60 }] }]);
 * ```
 */
export function createRateLimitGuard(deps: { store: RateLimitStore; clock: Clock; logger: Logger }): RateLimitGuard {
  const { store, clock, logger } = deps;
  // Stores name each counter after its key and rule, so one key serves every rule of a check.
  const keyOf = (check: LimitCheck) => `${check.scope}|${check.subject}`;

  return {
    async enforce(checks) {
      for (const check of checks) {
        // One rule at a time, stopping at the first refusal: a refused attempt must not also use up
        // the longer windows, or retrying during a short delay would stretch the lockout.
        for (const rule of check.rules) {
          const result = await store.consume(keyOf(check), rule);
          if (result.allowed) continue;
          const refusal = rateLimited(result, rule, clock.now());
          logger.warn('rate_limited', {
            scope: check.scope,
            rule: `${rule.limit}/${rule.windowSeconds}`,
            retryAfter: refusal.headers['Retry-After'],
            ...check.logFields,
          });
          throw refusal;
        }
      }
    },
    async within(check) {
      for (const rule of check.rules) {
        if (!(await store.consume(keyOf(check), rule)).allowed) return false;
      }
      return true;
    },
    async clear(checks) {
      await Promise.all(checks.flatMap((check) => check.rules.map((rule) => store.reset(keyOf(check), rule))));
    },
  };
}

/**
 * The 429. The body is the same for every limit and subject, so a throttled unknown username is
 * indistinguishable from a throttled real one; only the headers say when to come back.
 */
function rateLimited(result: ConsumeResult, rule: RateLimitRule, now: number): KitError {
  const retryAfter = retryAfterHeader(result, now)['Retry-After'] ?? '1';
  return new KitError('rate_limited', 'Too many attempts. Try again later.', {
    'Retry-After': retryAfter,
    'RateLimit-Limit': String(rule.limit),
    'RateLimit-Remaining': '0',
    'RateLimit-Reset': retryAfter,
  });
}
