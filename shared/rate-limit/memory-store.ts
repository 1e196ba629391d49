/**
 * The in-process rate-limit store, for `npm start` and tests: exact within one process, useless
 * across several (each process would count on its own).
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import {
  checkConsumeInput,
  counterName,
  rateLimiterUnavailable,
  windowAt,
  type ConsumeResult,
  type RateLimitStore,
  type Window,
} from './store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Time source; tests pass one they can move. Default: the wall clock. */
  clock?: Clock;
  /** Most counters kept at once. Default 100,000 (a few tens of MB at most). */
  maxKeys?: number;
  /** How often a full sweep of ended windows may run, in ms of clock time. Default 60,000. */
  sweepIntervalMs?: number;
}

/** A memory store, with a peek at its size for tests and health checks. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Counters currently held, including ones whose window has ended but were not swept yet. */
  size(): number;
}

interface Counter {
  window: number;
  hits: number;
  limit: number;
  resetAt: number;
}

/**
 * Creates an in-memory store.
 *
 * Memory is bounded two ways. Counters whose window has ended are swept (at most once per
 * `sweepIntervalMs`, and always before refusing for lack of room). And there is a hard cap of
 * `maxKeys` counters, with this eviction rule:
 *
 * **Only a counter that has recorded exactly one hit, under a limit above one, may be evicted**
 * (oldest such counter first). Evicting a counter is the same as resetting it, so eviction must never
 * touch a key that is being hammered: that is exactly the key an attacker would like to see reset.
 * A single-hit counter is not being hammered, and evicting it gives that key at most one extra hit
 * in its window. To evict someone else's single-hit counter an attacker must first fill the store with
 * `maxKeys` fresh counters, and each of those costs them a hit against their own keys. Any counter
 * with two hits or more, and any counter already at its limit, stays until its window ends.
 *
 * When the store is full and nothing may be evicted, `consume` of a new counter throws
 * `rate_limiter_unavailable`: failing closed for newcomers beats silently forgetting attackers.
 *
 * @example
 * ```ts
 * const store = createMemoryStore({ clock: systemClock, maxKeys: 10_000 });
 * await store.consume('ip:v4:203.0.113.7', { limit: 5, windowSeconds: 60 });
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryRateLimitStore {
  const clock = options.clock ?? systemClock;
  const maxKeys = options.maxKeys ?? 100_000;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new TypeError('maxKeys must be a positive integer.');

  const counters = new Map<string, Counter>();
  // Counters that may be evicted, oldest first (a Set iterates in insertion order).
  const evictable = new Set<string>();
  // An empty store has nothing to sweep: the first consume sweeps nothing and sets the first deadline.
  let nextSweepAt = 0;

  function remove(name: string): void {
    counters.delete(name);
    evictable.delete(name);
  }

  function sweep(now: number): void {
    for (const [name, counter] of counters) {
      if (counter.resetAt <= now) remove(name);
    }
    nextSweepAt = now + sweepIntervalMs;
  }

  function makeRoom(now: number): void {
    if (counters.size < maxKeys) return;
    sweep(now);
    if (counters.size < maxKeys) return;
    const oldest = evictable.values().next();
    if (oldest.done) throw rateLimiterUnavailable();
    remove(oldest.value);
  }

  /** Starts a counter's window with its first hit: evictable unless that hit already filled it. */
  function open(name: string, limit: number, window: Window): void {
    counters.set(name, { window: window.index, hits: 1, limit, resetAt: window.resetAt });
    // Re-adding moves the name to the end: eviction order follows the last new window.
    evictable.delete(name);
    if (limit > 1) evictable.add(name);
  }

  return {
    async consume(key, rule): Promise<ConsumeResult> {
      ({ key, rule } = checkConsumeInput(key, rule));
      const now = clock.now();
      if (now >= nextSweepAt) sweep(now);
      const name = counterName(key, rule);
      const current = windowAt(now, rule);
      const counter = counters.get(name);

      // A counter from a later window (the clock went back) stays authoritative: never reopen a window.
      if (counter && counter.window >= current.index) {
        if (counter.hits >= counter.limit) return { allowed: false, remaining: 0, resetAt: counter.resetAt };
        counter.hits += 1;
        evictable.delete(name); // a second hit: never evicted from now on
        return { allowed: true, remaining: counter.limit - counter.hits, resetAt: counter.resetAt };
      }

      if (!counter) makeRoom(now);
      open(name, rule.limit, current);
      return { allowed: true, remaining: rule.limit - 1, resetAt: current.resetAt };
    },

    async reset(key, rule) {
      ({ key, rule } = checkConsumeInput(key, rule));
      remove(counterName(key, rule));
    },

    size: () => counters.size,
  };
}
