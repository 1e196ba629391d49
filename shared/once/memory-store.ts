/**
 * The in-process once-store, for `npm start` and tests: exact within one process, useless across
 * several (each process would accept the same value once).
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { checkClaimInput, onceStoreUnavailable, type OnceStore } from './store.js';

/**
 * Options of {@link createMemoryOnceStore}.
 *
 * @example
 * ```ts
 * const options: MemoryOnceStoreOptions = { clock: systemClock, maxKeys: 10_000, sweepIntervalMs: 30_000 };
 * ```
 */
export interface MemoryOnceStoreOptions {
  /** Time source; tests pass one they can move. Default: the wall clock. */
  clock?: Clock;
  /** Most records kept at once. Default 100,000 (a few MB: one short key and one number each). */
  maxKeys?: number;
  /** How often a full sweep of expired records may run, in ms of clock time. Default 60,000. */
  sweepIntervalMs?: number;
}

/**
 * A memory once-store, with a peek at its size for tests and health checks.
 *
 * @example
 * ```ts
 * const once: MemoryOnceStore = createMemoryOnceStore();
 * once.size(); // 0
 * ```
 */
export interface MemoryOnceStore extends OnceStore {
  /** Records currently held, including expired ones not swept yet. */
  size(): number;
}

/**
 * Creates an in-memory once-store.
 *
 * Memory is bounded by sweeping expired records (at most once per `sweepIntervalMs`, and always
 * before refusing for lack of room) and by a hard cap of `maxKeys` records. Unlike the rate-limit
 * memory store, nothing live is ever evicted: forgetting a record is the same as allowing its replay,
 * and an attacker who can mint fresh values could otherwise push out the one they want to reuse.
 * When the store is full of live records, `claim` of a new key throws `once_store_unavailable`.
 *
 * @example
 * ```ts
 * const once = createMemoryOnceStore({ clock: systemClock, maxKeys: 10_000 });
 * await once.claim(await onceKey('captcha', token), clock.now() + 300_000); // true, then false
 * ```
 */
export function createMemoryOnceStore(options: MemoryOnceStoreOptions = {}): MemoryOnceStore {
  const clock = options.clock ?? systemClock;
  const maxKeys = options.maxKeys ?? 100_000;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new TypeError('maxKeys must be a positive integer.');

  // key → expiresAt. A record is live while now <= expiresAt.
  const records = new Map<string, number>();
  let nextSweepAt = clock.now() + sweepIntervalMs;

  function sweep(now: number): void {
    for (const [key, expiresAt] of records) {
      if (expiresAt < now) records.delete(key);
    }
    nextSweepAt = now + sweepIntervalMs;
  }

  return {
    // Nothing below awaits, so the read and the write of one claim cannot interleave with another.
    async claim(key, expiresAt) {
      const now = clock.now();
      key = checkClaimInput(key, expiresAt, now);
      if (now >= nextSweepAt) sweep(now);

      const existing = records.get(key);
      if (existing !== undefined && existing >= now) return false;
      if (existing === undefined && records.size >= maxKeys) {
        sweep(now);
        if (records.size >= maxKeys) throw onceStoreUnavailable();
      }
      records.set(key, expiresAt);
      return true;
    },

    size: () => records.size,
  };
}
