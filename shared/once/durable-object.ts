/**
 * `OnceRecord`, the Cloudflare Durable Object behind the Durable Object once-store: one object per
 * key, addressed with `idFromName`, so every Worker instance in every location asks the same
 * single-threaded object whether the key was claimed.
 *
 * Atomicity: `claim` reads and writes the object's SQLite storage with synchronous calls and no
 * `await` in between, so no other request to the object can interleave; the record is durable
 * before the answer leaves (output gate). Cleanup: each claim schedules an alarm just after the
 * record expires, and the alarm deletes the object's storage, so a used key costs nothing once it
 * can no longer be replayed.
 *
 * Like `RateLimitCounter`, this module imports nothing from `cloudflare:workers`: it is a
 * fetch-style Durable Object whose few platform types are declared below, so it type-checks under
 * the kit's Node tsconfig too.
 *
 * @module
 */
import * as z from 'zod';
import { readObjectRequest } from '../durable-object-request.js';

/**
 * The slice of the SQLite storage API this object uses.
 *
 * @example
 * ```ts
 * const sql: OnceSqlStorage = state.storage.sql;
 * ```
 */
export interface OnceSqlStorage {
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[] };
}

/**
 * The slice of `DurableObjectState` this object uses.
 *
 * @example
 * ```ts
 * const storage: OnceRecordState['storage'] = state.storage;
 * ```
 */
export interface OnceRecordState {
  storage: {
    sql: OnceSqlStorage;
    setAlarm(scheduledTime: number): Promise<void>;
    deleteAlarm(): Promise<void>;
    deleteAll(): Promise<void>;
  };
}

/**
 * The body of a request to the object. `now` is the caller's clock, so tests can move time; the
 * store has already checked that `expiresAt` is not before it.
 *
 * @example
 * ```ts
 * onceRequestSchema.parse({ op: 'claim', now: 1_000, expiresAt: 61_000 });
 * ```
 */
export const onceRequestSchema = z
  .object({ op: z.literal('claim'), now: z.number().int().nonnegative(), expiresAt: z.number().int().nonnegative() })
  .refine((request) => request.expiresAt >= request.now, { message: 'expiresAt is before now' });

/**
 * What the object answers to `claim`.
 *
 * @example
 * ```ts
 * const { claimed } = onceResponseSchema.parse(await response.json());
 * ```
 */
export const onceResponseSchema = z.object({ claimed: z.boolean() });

const SCHEMA = `CREATE TABLE IF NOT EXISTS record (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  expires_at INTEGER NOT NULL
)`;

/**
 * The Durable Object class. Export it from the Worker entry module under this exact name and bind
 * it (conventionally as `ONCE_STORE`) with SQLite storage; see the wrangler snippet in the module
 * docs of `durable-object-store.ts`.
 *
 * @example
 * ```ts
 * // worker entry
 * export { OnceRecord } from './shared/once/durable-object.js';
 * ```
 */
export class OnceRecord {
  private readonly sql: OnceSqlStorage;
  private schemaReady = false;

  constructor(
    private readonly state: OnceRecordState,
    _env: unknown,
  ) {
    this.sql = state.storage.sql;
  }

  /** Answers `POST` with a JSON {@link onceRequestSchema} body. */
  async fetch(request: Request): Promise<Response> {
    const body = await readObjectRequest(request, onceRequestSchema, 'once');
    if (body instanceof Response) return body;

    const { now, expiresAt } = body;
    const claimed = this.claim(now, expiresAt);
    // The record holds through expiresAt inclusive, so the first instant it is gone is one ms later.
    if (claimed) await this.state.storage.setAlarm(expiresAt + 1);
    return Response.json({ claimed });
  }

  /** Deletes the record once it has expired. */
  async alarm(): Promise<void> {
    const expiresAt = this.read();
    if (expiresAt !== null && expiresAt >= Date.now()) {
      // Claimed again after this alarm was set (or the alarm ran early): wait for that record.
      await this.state.storage.setAlarm(expiresAt + 1);
      return;
    }
    await this.state.storage.deleteAlarm();
    await this.state.storage.deleteAll();
    // deleteAll drops the table too.
    this.schemaReady = false;
  }

  /** The whole decision, synchronous on purpose: nothing can run between the read and the write. */
  private claim(now: number, expiresAt: number): boolean {
    const current = this.read();
    if (current !== null && current >= now) return false;
    this.sql.exec('INSERT OR REPLACE INTO record (id, expires_at) VALUES (1, ?)', expiresAt);
    return true;
  }

  private read(): number | null {
    this.ensureSchema();
    const row = this.sql.exec('SELECT expires_at FROM record WHERE id = 1').toArray()[0];
    return row ? Number(row['expires_at']) : null;
  }

  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.sql.exec(SCHEMA);
    this.schemaReady = true;
  }
}
