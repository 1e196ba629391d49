/**
 * The rate-limit store for Appwrite Functions: counters are rows of an Appwrite TablesDB table, so
 * every function instance (Appwrite runs many) shares them.
 *
 * One row per counter and window. Its ID is a hash of (key, rule, window index), so the row of the
 * current window is found without a query, and no key (which may hold an IP) is stored in clear.
 *
 * `consume`, in the common case one request, one of two:
 * - `incrementRowColumn({ column: 'hits', value: 1, max: limit })`. Appwrite runs it as one database
 *   transaction that locks the row (`SELECT … FOR UPDATE`), refuses with `column_limit_exceeded` when
 *   `hits + 1 > max`, and repeats the bound in the `UPDATE`'s `WHERE` clause (utopia-php/database
 *   `Database::increaseDocumentAttribute`). Success means counted, refusal means over the limit. A
 *   missing row (404 `column_not_found`: that is what Appwrite answers for a missing row on this
 *   route) means the window has no count yet: create it.
 * - `createRow({ hits: 1 })` starts the window. Row IDs are unique, so of two concurrent creates one
 *   gets 409 `row_already_exists`, and that caller increments instead.
 *
 * Which goes first is a guess from what this process saw of the row (`row-sightings.ts`): a row it
 * saw exist is incremented, any other created, since a login's counters are mostly new windows.
 * A wrong guess costs the other call, never exactness.
 *
 * Consistency: exact, as long as Appwrite's database is (the increment and the create are each
 * atomic in it). Nothing is cached in the function. A reset deletes the window's row; a hit racing
 * with the reset lands either before it (and is forgotten) or after it (and starts a new count).
 *
 * `giveBack` takes a counted hit back with `decrementRowColumn({ min: 0 })`, on the row of the
 * window it was counted in. The guard uses it to count all of a request's rules at once, one round
 * trip instead of one per rule (`guard.ts`). A row cleared in between (404) or at zero has nothing
 * to give back.
 *
 * Cleanup: rows carry `expiresAt` (the end of their window) and nothing reads them after it. Expired
 * rows are not deleted by themselves: call {@link AppwriteRateLimitStore.purgeExpired} from a scheduled
 * function (one `deleteRows` query, `expiresAt < now`), or delete them by hand in the console. Until
 * purged they only take space; each row is a few dozen bytes.
 *
 * The API key needs the `rows.read` and `rows.write` scopes. The table is declared in `appwrite.json`
 * (see `rateLimitTableSpec` in `appwrite-table.ts`) so `appwrite push` creates it.
 *
 * @module
 */
import { AppwriteException, Query, TablesDB } from 'node-appwrite';
import * as z from 'zod';
import { appwriteRefusal, callAppwrite, createAppwriteClient } from '../appwrite/client.js';
import type { AppwriteConnection } from '../config.js';
import type { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { RATE_LIMIT_DATABASE_ID, RATE_LIMIT_TABLE_ID } from './appwrite-table.js';
import type { RowSightings } from './row-sightings.js';
import { sha256Hex } from '../hash.js';
import {
  checkConsumeInput,
  counterName,
  rateLimiterUnavailable,
  windowAt,
  type ConsumeResult,
  type RateLimitRule,
  type RateLimitStore,
} from './store.js';

/** Calls of the increment-or-create loop before giving up (each lost race costs two). */
const MAX_CALLS = 8;

/** What the store's calls need, named in the log when Appwrite refuses one. */
const ROWS_SCOPES = ['rows.read', 'rows.write'] as const;

/** Options of {@link createAppwriteStore}. */
export interface AppwriteStoreOptions {
  logger: Logger;
  /** Time source for window arithmetic. Default: the wall clock. */
  clock?: Clock;
  /** Default {@link RATE_LIMIT_DATABASE_ID}. */
  databaseId?: string;
  /** Default {@link RATE_LIMIT_TABLE_ID}. */
  tableId?: string;
  /** Deadline per Appwrite call. Default: the connection's `APPWRITE_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** The request's signal (`RuntimeServices.signal`): once it has aborted, no call starts. */
  signal?: AbortSignal | undefined;
  /**
   * Rows this process has seen, shared by the stores of its executions, so a counter whose row it
   * saw is incremented first and any other is created first. Without it every row is unseen.
   */
  sightings?: RowSightings | undefined;
}

/** The Appwrite store, plus the cleanup of ended windows. */
export interface AppwriteRateLimitStore extends RateLimitStore {
  /** Deletes every row whose window has ended; returns how many Appwrite reports deleted. */
  purgeExpired(): Promise<number>;
}

const incrementedRowSchema = z.object({ hits: z.coerce.number().int().nonnegative() });
const rowListSchema = z.object({ total: z.coerce.number().int().nonnegative() });

/**
 * The row ID of a counter in a window: `rl` and 34 hex digits (136 bits) of SHA-256, which keeps
 * inside Appwrite's ID rules (36 characters, `[a-zA-Z0-9._-]`, starting with a letter or digit).
 *
 * @example
 * ```ts
 * await rateLimitRowId('ip:unknown', { limit: 5, windowSeconds: 60 }, 29_000_000); // 'rl3c9f…' (36 chars)
 * ```
 */
export async function rateLimitRowId(key: string, rule: RateLimitRule, windowIndex: number): Promise<string> {
  return `rl${(await sha256Hex(`${counterName(key, rule)}|${windowIndex}`)).slice(0, 34)}`;
}

/**
 * Creates the store. Appwrite being unreachable, slow (past the deadline) or failing (5xx) throws
 * `rate_limiter_unavailable`, so callers fail closed; Appwrite refusing the key (scopes) or missing
 * the table throws `appwrite_error` (502) and logs what to fix. Either way nothing runs unthrottled.
 *
 * @example
 * ```ts
 * const store = createAppwriteStore(connection, { logger });
 * const { allowed, resetAt } = await store.consume(await accountKey('username', username), { limit: 10, windowSeconds: 900 });
 * ```
 */
export function createAppwriteStore(connection: AppwriteConnection, options: AppwriteStoreOptions): AppwriteRateLimitStore {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const databaseId = options.databaseId ?? RATE_LIMIT_DATABASE_ID;
  const tableId = options.tableId ?? RATE_LIMIT_TABLE_ID;
  const timeoutMs = options.timeoutMs ?? connection.APPWRITE_TIMEOUT_MS;
  const tables = new TablesDB(createAppwriteClient(connection));
  const run = <T>(operation: string, call: () => Promise<T>) => callAppwrite(call, { timeoutMs, logger, operation, signal: options.signal });

  /**
   * A call's error not handled where it happened. A refusal (a 4xx the store did not expect: key,
   * scopes, missing table) is the function's misconfiguration, 502 with the fix in the log; anything
   * else (callAppwrite's KitErrors, already logged: timeouts, 5xx, unreachable, abandoned) fails
   * closed with 503.
   */
  function failure(error: unknown, operation: string): KitError {
    return error instanceof AppwriteException ? appwriteRefusal(error, { logger, operation, scopes: ROWS_SCOPES }) : rateLimiterUnavailable();
  }

  return {
    async consume(key, rule): Promise<ConsumeResult> {
      ({ key, rule } = checkConsumeInput(key, rule));
      const window = windowAt(clock.now(), rule);
      const rowId = await rateLimitRowId(key, rule, window.index);

      // Only what a call ended with is recorded: a 409 or a 404 on the way is followed by a call that knows better.
      const sawRow = () => options.sightings?.saw(rowId, true, window.resetAt);
      // Which call goes first is only a guess (row-sightings.ts): the other one follows if it was wrong.
      let create = options.sightings?.exists(rowId, clock.now()) !== true;

      for (let call = 0; call < MAX_CALLS; call += 1) {
        if (create) {
          try {
            await run('tablesDB.createRow', () =>
              tables.createRow({
                databaseId,
                tableId,
                rowId,
                data: { hits: 1, expiresAt: new Date(window.resetAt).toISOString() },
              }),
            );
            sawRow();
            return { allowed: true, remaining: rule.limit - 1, resetAt: window.resetAt };
          } catch (error) {
            // Another request created the row first: count on it.
            if (!isDuplicateRow(error)) throw failure(error, 'tablesDB.createRow');
            create = false;
            continue;
          }
        }

        let row: unknown;
        try {
          row = await run('tablesDB.incrementRowColumn', () =>
            tables.incrementRowColumn({ databaseId, tableId, rowId, column: 'hits', value: 1, max: rule.limit }),
          );
        } catch (error) {
          if (isLimitExceeded(error)) {
            sawRow();
            return { allowed: false, remaining: 0, resetAt: window.resetAt };
          }
          if (!isMissingRow(error)) throw failure(error, 'tablesDB.incrementRowColumn');
          create = true;
          continue;
        }
        const parsed = incrementedRowSchema.safeParse(row);
        if (!parsed.success) {
          logger.error('rate_limiter_call_failed', { store: 'appwrite', operation: 'tablesDB.incrementRowColumn', reason: 'bad_response' });
          throw rateLimiterUnavailable();
        }
        sawRow();
        return { allowed: true, remaining: Math.max(0, rule.limit - parsed.data.hits), resetAt: window.resetAt };
      }
      logger.error('rate_limiter_call_failed', { store: 'appwrite', operation: 'consume', reason: 'retries_exhausted' });
      throw rateLimiterUnavailable();
    },

    async giveBack(key, rule, resetAt) {
      ({ key, rule } = checkConsumeInput(key, rule));
      const windowMs = rule.windowSeconds * 1000;
      if (!Number.isSafeInteger(resetAt) || resetAt % windowMs !== 0) throw new TypeError('resetAt must be the end of a window of this rule.');
      const rowId = await rateLimitRowId(key, rule, resetAt / windowMs - 1);
      try {
        await run('tablesDB.decrementRowColumn', () =>
          tables.decrementRowColumn({ databaseId, tableId, rowId, column: 'hits', value: 1, min: 0 }),
        );
      } catch (error) {
        // Cleared (or purged) since it was counted, or already at zero: the hit is gone anyway.
        if (isMissingRow(error) || isLimitExceeded(error)) return;
        throw failure(error, 'tablesDB.decrementRowColumn');
      }
    },

    async reset(key, rule) {
      ({ key, rule } = checkConsumeInput(key, rule));
      const window = windowAt(clock.now(), rule);
      const rowId = await rateLimitRowId(key, rule, window.index);
      try {
        await run('tablesDB.deleteRow', () => tables.deleteRow({ databaseId, tableId, rowId }));
      } catch (error) {
        if (appwriteType(error) !== 'row_not_found') throw failure(error, 'tablesDB.deleteRow');
      }
      options.sightings?.saw(rowId, false, window.resetAt);
    },

    async purgeExpired() {
      try {
        const result = await run('tablesDB.deleteRows', () =>
          tables.deleteRows({
            databaseId,
            tableId,
            queries: [Query.lessThan('expiresAt', new Date(clock.now()).toISOString())],
          }),
        );
        const parsed = rowListSchema.safeParse(result);
        return parsed.success ? parsed.data.total : 0;
      } catch (error) {
        throw failure(error, 'tablesDB.deleteRows');
      }
    },
  };
}

/**
 * The type of an error Appwrite answered, or `undefined` for any other error. Each Appwrite type has
 * one status code (`app/config/errors.php`), so the type alone says what happened.
 */
function appwriteType(error: unknown): string | undefined {
  // Stryker disable next-line ConditionalExpression: callAppwrite throws only AppwriteExceptions and KitErrors, and no kit type is one of Appwrite's
  return error instanceof AppwriteException ? error.type : undefined;
}

/** `incrementRowColumn` refused because `hits + 1` would pass `max` (or a decrement `min`). */
function isLimitExceeded(error: unknown): boolean {
  return appwriteType(error) === 'column_limit_exceeded';
}

/**
 * The row of this window does not exist yet. Appwrite 1.9 answers a missing row on the increment
 * route with 404 `column_not_found` (it maps every not-found from the database layer to that type);
 * `row_not_found` is accepted too in case a later version answers more precisely.
 */
function isMissingRow(error: unknown): boolean {
  const type = appwriteType(error);
  return type === 'column_not_found' || type === 'row_not_found';
}

/** Another request created the row of this window first (409). */
function isDuplicateRow(error: unknown): boolean {
  return appwriteType(error) === 'row_already_exists';
}
