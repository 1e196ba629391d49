/**
 * Shared checks every rate-limit store must pass, run by each store's test file. (The test clock is
 * `test/helpers/clock.ts`.)
 *
 * @module
 */
import { expect } from 'vitest';
import type { RateLimitRule, RateLimitStore } from '../../shared/rate-limit/store.js';

/**
 * Fires `calls` concurrent `consume`s at one key and asserts that exactly `rule.limit` were allowed,
 * with distinct `remaining` values: each allowed hit saw a different count.
 *
 * @example
 * ```ts
 * await expectExactlyLimitAllowed(store, 'k', { limit: 7, windowSeconds: 60 }, 50);
 * ```
 */
export async function expectExactlyLimitAllowed(
  store: RateLimitStore,
  key: string,
  rule: RateLimitRule,
  calls: number,
): Promise<void> {
  const results = await Promise.all(Array.from({ length: calls }, () => store.consume(key, rule)));
  const allowed = results.filter((result) => result.allowed);
  expect(allowed).toHaveLength(rule.limit);
  const remaining = allowed.map((result) => result.remaining).sort((a, b) => a - b);
  expect(remaining).toEqual(Array.from({ length: rule.limit }, (_, index) => index));
  for (const refused of results.filter((result) => !result.allowed)) expect(refused.remaining).toBe(0);
}
