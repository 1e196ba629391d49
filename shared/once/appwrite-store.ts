/**
 * The once-store for Appwrite Functions: records are rows of an Appwrite TablesDB table, so every
 * function instance (Appwrite runs many) sees the same ones.
 *
 * One row per key. Its ID is a hash of the key, so a claim needs no query, and row IDs are unique,
 * which is the whole trick: Appwrite's `createRow` is the set-if-absent.
 *
 * `claim`, in the common case one request:
 * 1. `createRow({ expiresAt })`. Success: this call recorded the key first → `true`.
 * 2. 409 `row_already_exists`: someone recorded it. Read the row: if it is still live
 *    (`expiresAt >= now`) this is a replay → `false`.
 * 3. If it has expired, delete it and go back to step 1. The delete is `deleteRows` with the queries
 *    `$id = rowId` and `expiresAt < now`, not `deleteRow(rowId)`: several claimers can find the same
 *    expired row, and an unconditional delete by the slowest of them would remove the row the fastest
 *    one has just re-created, letting a second claim win. Appwrite's bulk delete finds matching rows
 *    and deletes those (by their internal sequence), so a re-created row, which is live and has a new
 *    sequence, is never touched. Every claimer then races on `createRow`, which exactly one wins.
 * 4. A row gone between the 409 and the read (someone else deleted it) also goes back to step 1.
 *
 * Steps 1 to 4 run at most {@link MAX_ATTEMPTS} times; past that the claim fails closed. Anything else
 * (unreachable, slow past the deadline, 5xx, an abandoned request, an answer that does not parse)
 * throws `once_store_unavailable`: a store that cannot answer must not answer "not seen". A refused
 * key or a missing table throws 502 `appwrite_error` instead: a misconfiguration no retry will fix.
 *
 * Expiry is judged by the calling instance's clock, which the row's `expiresAt` is compared with. Clocks
 * of function instances differ by little, and callers already add leeway to `expiresAt` for token
 * clocks, which covers it.
 *
 * Cleanup: expired rows are only deleted by a later claim of the same key. Call
 * {@link AppwriteOnceStore.purgeExpired} from a scheduled function (one `deleteRows` query,
 * `expiresAt < now`), next to the rate-limit purge.
 *
 * The API key needs the `rows.read` and `rows.write` scopes. The table is declared in `appwrite.json`
 * (see `onceTableSpec` in `appwrite-table.ts`) so `appwrite push` creates it.
 *
 * @module
 */
import { AppwriteException, Query, TablesDB } from 'node-appwrite';
import * as z from 'zod';
import { appwriteRefusal, callAppwrite, createAppwriteClient } from '../appwrite/client.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { AppwriteConnection } from '../config.js';
import { KitError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import type { Logger } from '../log.js';
import { ONCE_DATABASE_ID, ONCE_TABLE_ID } from './appwrite-table.js';
import { checkClaimInput, onceStoreUnavailable, type OnceStore } from './store.js';

/** Rounds of create-or-read before giving up. Each lost race with an expired row costs one. */
const MAX_ATTEMPTS = 4;

/** What the store's calls need, named in the log when Appwrite refuses one. */
const ROWS_SCOPES = ['rows.read', 'rows.write'] as const;

/**
 * Options of {@link createAppwriteOnceStore}.
 *
 * @example
 * ```ts
 * const options: AppwriteOnceStoreOptions = { logger, timeoutMs: 3_000 };
 * ```
 */
export interface AppwriteOnceStoreOptions {
  logger: Logger;
  /** Time source that decides what has expired. Default: the wall clock. */
  clock?: Clock;
  /** Default {@link ONCE_DATABASE_ID}. */
  databaseId?: string;
  /** Default {@link ONCE_TABLE_ID}. */
  tableId?: string;
  /** Deadline per Appwrite call. Default: the connection's `APPWRITE_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** The request's signal (`RuntimeServices.signal`): once it has aborted, no call starts. */
  signal?: AbortSignal | undefined;
}

/**
 * The Appwrite once-store, plus the cleanup of expired records.
 *
 * @example
 * ```ts
 * // in the hourly scheduled execution
 * logger.info('once_rows_purged', { purged: await createAppwriteOnceStore(connection, { logger }).purgeExpired() });
 * ```
 */
export interface AppwriteOnceStore extends OnceStore {
  /** Deletes every expired record; returns how many Appwrite reports deleted. */
  purgeExpired(): Promise<number>;
}

const storedRowSchema = z.object({ expiresAt: z.string().refine((value) => !Number.isNaN(Date.parse(value))) });
const rowListSchema = z.object({ total: z.coerce.number().int().nonnegative() });

/**
 * The row ID of a key: `once` and 32 hex digits (128 bits) of SHA-256, which keeps inside Appwrite's
 * ID rules (36 characters, `[a-zA-Z0-9._-]`, starting with a letter or digit) whatever the key holds.
 *
 * @example
 * ```ts
 * await onceRowId('once:oidc.jti:3f2a…'); // 'once9c1e…' (36 chars)
 * ```
 */
export async function onceRowId(key: string): Promise<string> {
  return `once${(await sha256Hex(key)).slice(0, 32)}`;
}

/**
 * Creates the store. Appwrite being unreachable, slow (past the deadline) or failing (5xx) throws
 * `once_store_unavailable`, so callers fail closed; Appwrite refusing the key (scopes) or missing the
 * table throws `appwrite_error` (502) and logs what to fix.
 *
 * @example
 * ```ts
 * const once = createAppwriteOnceStore(connection, { logger });
 * if (!(await once.claim(await onceKey('oidc.jti', jti), exp * 1000 + 60_000))) throw replayError();
 * ```
 */
export function createAppwriteOnceStore(connection: AppwriteConnection, options: AppwriteOnceStoreOptions): AppwriteOnceStore {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const databaseId = options.databaseId ?? ONCE_DATABASE_ID;
  const tableId = options.tableId ?? ONCE_TABLE_ID;
  const timeoutMs = options.timeoutMs ?? connection.APPWRITE_TIMEOUT_MS;
  const tables = new TablesDB(createAppwriteClient(connection));
  const run = <T>(operation: string, call: () => Promise<T>) => callAppwrite(call, { timeoutMs, logger, operation, signal: options.signal });
  const iso = (ms: number) => new Date(ms).toISOString();

  /**
   * Anything not handled where it happened. A refusal (a 4xx the store did not expect: key, scopes,
   * missing table) is the function's misconfiguration, 502 with the fix in the log; anything else
   * fails closed with 503, saying why in the logs only.
   */
  function failure(error: unknown, operation: string): KitError {
    if (error instanceof AppwriteException) return appwriteRefusal(error, { logger, operation, scopes: ROWS_SCOPES });
    if (!(error instanceof KitError)) {
      // callAppwrite has already logged its own KitErrors (timeouts, 5xx, unreachable, abandoned).
      logger.error('once_store_call_failed', { store: 'appwrite', operation, error: error instanceof Error ? error.name : typeof error });
    }
    return onceStoreUnavailable();
  }

  return {
    async claim(key, expiresAt) {
      const now = clock.now();
      key = checkClaimInput(key, expiresAt, now);
      const rowId = await onceRowId(key);

      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        try {
          await run('tablesDB.createRow', () => tables.createRow({ databaseId, tableId, rowId, data: { expiresAt: iso(expiresAt) } }));
          return true;
        } catch (error) {
          if (!isDuplicateRow(error)) throw failure(error, 'tablesDB.createRow');
        }

        let row: unknown;
        try {
          row = await run('tablesDB.getRow', () => tables.getRow({ databaseId, tableId, rowId }));
        } catch (error) {
          // Deleted since our create failed: the ID is free again, race for it.
          if (isMissingRow(error)) continue;
          throw failure(error, 'tablesDB.getRow');
        }
        const parsed = storedRowSchema.safeParse(row);
        if (!parsed.success) throw failure(new Error('bad_response'), 'tablesDB.getRow');
        if (Date.parse(parsed.data.expiresAt) >= now) return false;

        try {
          // Only the expired incarnation: see the module docs for why not deleteRow.
          await run('tablesDB.deleteRows', () =>
            tables.deleteRows({ databaseId, tableId, queries: [Query.equal('$id', rowId), Query.lessThan('expiresAt', iso(now))] }),
          );
        } catch (error) {
          throw failure(error, 'tablesDB.deleteRows');
        }
      }
      logger.error('once_store_call_failed', { store: 'appwrite', operation: 'claim', reason: 'retries_exhausted' });
      throw onceStoreUnavailable();
    },

    async purgeExpired() {
      try {
        const result = await run('tablesDB.deleteRows', () =>
          tables.deleteRows({ databaseId, tableId, queries: [Query.lessThan('expiresAt', iso(clock.now()))] }),
        );
        const parsed = rowListSchema.safeParse(result);
        return parsed.success ? parsed.data.total : 0;
      } catch (error) {
        throw failure(error, 'tablesDB.deleteRows');
      }
    },
  };
}

function isDuplicateRow(error: unknown): boolean {
  return error instanceof AppwriteException && error.code === 409 && error.type === 'row_already_exists';
}

function isMissingRow(error: unknown): boolean {
  return error instanceof AppwriteException && error.code === 404 && error.type === 'row_not_found';
}
