/**
 * Applies rate-limit rules to a request: the piece a route calls before doing any costly work.
 *
 * A route names what it limits (`LimitCheck`: a scope, a subject key from `keys.ts`, and the
 * rules); the guard consumes one attempt from each rule in order and refuses with 429 at the
 * first that is exhausted. Later checks are not consumed once one refuses, so an address that is
 * already blocked cannot also run down an account's allowance. A refusal the store already knows
 * holds (`knownRefusal`: a sealed window the Durable Object store remembers) comes first of all,
 * before anything is counted.
 *
 * With a store that can give hits back (`giveBack`: the Appwrite store, where every count is a
 * round trip), the rules are counted all at once instead of one after another, and the outcome is
 * made the same afterwards: the first rule in order that refused (or failed) decides, and every
 * hit counted after it is given back, without holding up the answer. Bounds stay exact: each count
 * is atomic against its limit, so no rule ever lets more than its limit through. The cost is on the
 * strict side: until a refused request's hits are given back (one round trip later) they occupy
 * their counters, so a concurrent request may be refused that one at a time would have passed, and
 * a hit whose giving back is lost (Appwrite down, the process gone) stays counted. One looser case:
 * a hit given back after a `clear` of its counter, and after a new hit recreated the counter in the
 * same window, takes that new hit back. Only cleared counters (an account's delays, after its owner
 * proved the password) can meet it, and their hard cap (a rule never cleared) is unaffected.
 *
 * @module
 */
import { KitError } from '../errors.js';
import type { LogFields, Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { retryAfterHeader, type ConsumeOptions, type ConsumeResult, type RateLimitRule, type RateLimitStore } from './store.js';

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
  const countersOf = (checks: readonly LimitCheck[]): Counter[] => checks.flatMap((check) => check.rules.map((rule) => ({ check, rule })));

  /**
   * Counts the counters in order up to the first that refuses, and answers that one (or `null`).
   * A refused attempt must not also use up what comes after it (a longer window, another check),
   * or retrying during a short delay would stretch the lockout.
   */
  async function countUntilRefused(counters: readonly Counter[], options: ConsumeOptions): Promise<Refused | null> {
    if (!store.giveBack) {
      for (const counter of counters) {
        const result = await store.consume(keyOf(counter.check), counter.rule, options);
        if (!result.allowed) return { counter, result };
      }
      return null;
    }
    const giveBack = store.giveBack.bind(store);
    const outcomes = await Promise.allSettled(counters.map(({ check, rule }) => store.consume(keyOf(check), rule, options)));
    const stop = outcomes.findIndex((outcome) => outcome.status === 'rejected' || !outcome.value.allowed);
    if (stop === -1) return null;
    outcomes.slice(stop + 1).forEach((outcome, offset) => {
      if (outcome.status === 'rejected' || !outcome.value.allowed) return;
      const { check, rule } = counters[stop + 1 + offset]!;
      // Not awaited: the answer does not depend on it, and a hit not given back only errs strict.
      giveBack(keyOf(check), rule, outcome.value.resetAt).catch(() =>
        logger.warn('rate_limit_hit_kept', { scope: check.scope, rule: `${rule.limit}/${rule.windowSeconds}` }),
      );
    });
    const stopped = outcomes[stop]!;
    if (stopped.status === 'rejected') throw stopped.reason;
    return { counter: counters[stop]!, result: stopped.value };
  }

  /**
   * A refusal the store already knows holds (a sealed window), for any of the counters. Such a
   * request is refused before anything is counted: it does no work, so it costs none of its other
   * budgets (its address's, say), and a flood on a locked account asks no one.
   */
  function knownRefusal(counters: readonly Counter[]): Refused | null {
    for (const counter of counters) {
      const result = store.knownRefusal?.(keyOf(counter.check), counter.rule);
      if (result) return { counter, result };
    }
    return null;
  }

  return {
    async enforce(checks) {
      const counters = countersOf(checks);
      // Sealing is for enforce only: it stops at a refusal, so a refused attempt never needs clearing.
      const refused = knownRefusal(counters) ?? (await countUntilRefused(counters, { seal: true }));
      if (!refused) return;
      const { counter: { check, rule }, result } = refused;
      const refusal = rateLimited(result, rule, clock.now());
      logger.warn('rate_limited', {
        scope: check.scope,
        rule: `${rule.limit}/${rule.windowSeconds}`,
        retryAfter: refusal.headers['Retry-After'],
        ...check.logFields,
      });
      throw refusal;
    },
    async within(check) {
      // Never sealed: the threshold a success clears after passing it (a captcha after N failures).
      return (await countUntilRefused(countersOf([check]), {})) === null;
    },
    async clear(checks) {
      await Promise.all(countersOf(checks).map(({ check, rule }) => store.reset(keyOf(check), rule)));
    },
  };
}

/** One rule of one check: what a store counts. */
interface Counter {
  check: LimitCheck;
  rule: RateLimitRule;
}

/** The counter that refused, and what the store answered. */
interface Refused {
  counter: Counter;
  result: ConsumeResult;
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
