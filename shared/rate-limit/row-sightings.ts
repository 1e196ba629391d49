/**
 * What one process has seen of the Appwrite store's counter rows: whether the row of a window
 * exists, as far as its own calls told it. The store uses it only to pick which call to try first
 * (increment an existing row, or create a missing one), never to decide a count, so a stale or
 * forgotten sighting costs one round trip, not exactness.
 *
 * Without sightings every counter of a new window costs two round trips (an increment that finds
 * no row, then the create). A login's counters are mostly new (a person's first attempt in its
 * windows, or after a success cleared them), so a row nobody has seen is created first, and one this
 * process saw exist is incremented first.
 *
 * @module
 */

/** Sightings kept at most; the oldest go first. Each is a row ID and two numbers. */
const DEFAULT_MAX_ROWS = 10_000;

/** Rows seen, by the store's calls on them. */
export interface RowSightings {
  /** Records that `row` exists (or not) in its window, which ends at `until` (ms since the epoch). */
  saw(row: string, exists: boolean, until: number): void;
  /** Whether `row` was last seen to exist; `undefined` when never seen or its window has ended. */
  exists(row: string, now: number): boolean | undefined;
}

/**
 * Creates an empty record of sightings, to share between the stores of one process's executions.
 *
 * @example
 * ```ts
 * const sightings = createRowSightings();
 * const store = createAppwriteStore(connection, { logger, sightings });
 * ```
 */
export function createRowSightings(maxRows = DEFAULT_MAX_ROWS): RowSightings {
  const rows = new Map<string, { exists: boolean; until: number }>();
  return {
    saw(row, exists, until) {
      // Re-inserting keeps the most recently seen rows last, so the oldest are dropped first.
      rows.delete(row);
      rows.set(row, { exists, until });
      if (rows.size > maxRows) rows.delete(rows.keys().next().value!);
    },
    exists(row, now) {
      const sighting = rows.get(row);
      if (!sighting) return undefined;
      if (sighting.until <= now) {
        rows.delete(row);
        return undefined;
      }
      return sighting.exists;
    },
  };
}
