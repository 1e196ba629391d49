/**
 * The one test clock: a `Clock` (shared/clock.ts) that stands still until a test moves it, in
 * milliseconds like the port it replaces.
 *
 * @module
 */
import type { Clock } from '../../shared/clock.js';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  /** Jumps to an instant (ms since the epoch); going back is allowed, to test that stores cope. */
  set(ms: number): void;
  /** Moves forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Back to where it started, so tests sharing one clock start alike. */
  reset(): void;
}

/**
 * A clock frozen at `start` until moved.
 *
 * @example
 * ```ts
 * const clock = manualClock(Date.UTC(2026, 0, 15, 12));
 * clock.advance(60_000); // one minute later
 * ```
 */
export function manualClock(start: number): ManualClock {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
    reset: () => {
      current = start;
    },
  };
}
