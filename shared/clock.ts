/**
 * The clock port: every piece of the kit that reads the time takes one, so tests can move it.
 *
 * @module
 */

/** The time source. Tests pass one they can move (see `test/helpers/platform.ts`). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/**
 * The wall clock.
 *
 * @example
 * ```ts
 * const store = createMemoryStore({ clock: systemClock });
 * ```
 */
export const systemClock: Clock = { now: () => Date.now() };
