/**
 * `RateLimitCounter`, the Cloudflare Durable Object behind the Durable Object store: one object per
 * counter (a key under one rule), addressed with `idFromName`, so every Worker instance in every
 * location talks to the same single-threaded object.
 *
 * Atomicity: `consume` reads and writes the object's SQLite storage with synchronous calls and no
 * `await` in between, so no other request to the object can interleave; the hit is durable before the
 * response leaves (output gate). Cleanup: each new window schedules an alarm at its end, and the
 * alarm deletes the object's storage, so an idle counter costs nothing.
 *
 * Sealing, so that refusals can be answered without asking the object. A refused `consume` that
 * asks for it (`seal: true`: the guard's `enforce`, which stops at a refusal) seals the window once
 * the counter is full and nothing was admitted for {@link SEAL_AFTER_IDLE_MS}; from then on the
 * object ignores `reset` until the window ends, and answers `sealed: true` with every refusal.
 * Why that makes a refusal safe to remember until `resetAt`, in any Worker isolate:
 * - Only three things let a full counter admit again: the window ends, the alarm deletes the row
 *   (only once the window has ended), or a `reset`. A sealed window ignores `reset`, so it refuses
 *   every hit until it ends: a remembered refusal says exactly what the object would.
 * - A `reset` comes from a success (an account's delays after the password matched) of a request the
 *   counter admitted earlier. Such a request may still be running when an attacker's attempt is
 *   refused; sealing at once would drop its clear. Waiting until nothing was admitted for the idle
 *   period means only a success slower than that (argon2 and Appwrite take seconds at most) loses
 *   its clear: it still logs in, the delays just stay until the window ends. Fail closed.
 * - `within` (a captcha threshold that a success clears after it was passed) never asks to seal, so
 *   its clears always count.
 * The idle time is measured on the object's own clock, one clock for admitting and sealing, so no
 * skew between Worker instances enters it.
 *
 * This module imports nothing from `cloudflare:workers`: it is a fetch-style Durable Object whose
 * few platform types are declared below, so it type-checks under the kit's Node tsconfig too.
 *
 * @module
 */
import * as z from 'zod';
import { readObjectRequest } from '../durable-object-request.js';
import { rateLimitRuleSchema, windowAt } from './store.js';

/** The slice of the SQLite storage API this object uses. */
export interface CounterSqlStorage {
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[]; readonly columnNames: string[] };
}

/** The slice of `DurableObjectState` this object uses. */
export interface CounterState {
  storage: {
    sql: CounterSqlStorage;
    setAlarm(scheduledTime: number): Promise<void>;
    deleteAlarm(): Promise<void>;
    deleteAll(): Promise<void>;
  };
}

/**
 * How long a full counter must have admitted nothing before a refusal may seal its window: far
 * longer than a login takes from its admission to its clear (argon2, an Appwrite call or two).
 *
 * @example
 * ```ts
 * await sleep(lockedAt + SEAL_AFTER_IDLE_MS - Date.now()); // the next refusal seals
 * ```
 */
export const SEAL_AFTER_IDLE_MS = 30_000;

/**
 * The body of a request to the object. `now` is the caller's clock, so tests can move time; `seal`
 * asks a refusal to seal the window (module docs). A `reset` without `now` (an older Worker) uses
 * the object's clock.
 */
export const counterRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('consume'), now: z.number().int().nonnegative(), rule: rateLimitRuleSchema, seal: z.boolean().optional() }),
  z.object({ op: z.literal('reset'), now: z.number().int().nonnegative().optional() }),
]);

/** What the object answers to `consume`. `sealed`: a refusal that holds until `resetAt` whatever happens. */
export const counterResponseSchema = z.object({
  allowed: z.boolean(),
  remaining: z.number().int().nonnegative(),
  resetAt: z.number().int().nonnegative(),
  sealed: z.boolean().optional(),
});

/** What the object answers to `reset`: `false` when the window is sealed and stays as it is. */
export const counterResetResponseSchema = z.object({ reset: z.boolean() });

// admitted_at: the object's clock at the last admitted hit (NULL in rows older than the column:
// never sealable, which only errs strict). sealed: 1 once a refusal sealed the window.
const SCHEMA = `CREATE TABLE IF NOT EXISTS counter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  window INTEGER NOT NULL,
  hits INTEGER NOT NULL,
  reset_at INTEGER NOT NULL,
  admitted_at INTEGER,
  sealed INTEGER NOT NULL DEFAULT 0
)`;
/** Columns added after the first release; a counter stored before them gets them on first use. */
const ADDED_COLUMNS = { admitted_at: 'admitted_at INTEGER', sealed: 'sealed INTEGER NOT NULL DEFAULT 0' } as const;

interface CounterRow {
  window: number;
  hits: number;
  resetAt: number;
  admittedAt: number | null;
  sealed: boolean;
}

/**
 * The Durable Object class. Export it from the Worker entry module under this exact name and bind
 * it (conventionally as `RATE_LIMITER`) with SQLite storage; see the wrangler snippet in the module docs
 * of `durable-object-store.ts`.
 *
 * @example
 * ```ts
 * // worker entry
 * export { RateLimitCounter } from './shared/rate-limit/durable-object.js';
 * ```
 */
export class RateLimitCounter {
  private readonly sql: CounterSqlStorage;
  private schemaReady = false;

  constructor(
    private readonly state: CounterState,
    _env: unknown,
  ) {
    this.sql = state.storage.sql;
  }

  /** Answers `POST` with a JSON {@link counterRequestSchema} body. */
  async fetch(request: Request): Promise<Response> {
    const body = await readObjectRequest(request, counterRequestSchema, 'counter');
    if (body instanceof Response) return body;

    if (body.op === 'reset') {
      const row = this.read();
      if (row?.sealed && row.resetAt > (body.now ?? Date.now())) return Response.json({ reset: false });
      await this.clear();
      return Response.json({ reset: true });
    }
    const { now, rule, seal = false } = body;
    const { result, newWindow } = this.consume(now, rule.limit, windowAt(now, rule), seal);
    if (newWindow) await this.state.storage.setAlarm(result.resetAt);
    return Response.json(result);
  }

  /** Deletes the counter once its window is over. */
  async alarm(): Promise<void> {
    const row = this.read();
    if (row && row.resetAt > Date.now()) {
      // A later window took over after this alarm was due; wait for that one to end.
      await this.state.storage.setAlarm(row.resetAt);
      return;
    }
    await this.clear();
  }

  /** The whole decision, synchronous on purpose: nothing can run between the read and the write. */
  private consume(now: number, limit: number, current: { index: number; resetAt: number }, seal: boolean) {
    const row = this.read();
    // The object's own clock for idleness (module docs); `now` is the caller's, for windows.
    const objectNow = Date.now();
    if (row && row.window >= current.index) {
      if (row.hits >= limit) {
        if (!row.sealed && seal && row.admittedAt !== null && objectNow - row.admittedAt >= SEAL_AFTER_IDLE_MS) {
          this.sql.exec('UPDATE counter SET sealed = 1 WHERE id = 1');
          row.sealed = true;
        }
        return { result: { allowed: false, remaining: 0, resetAt: row.resetAt, sealed: row.sealed }, newWindow: false };
      }
      this.sql.exec('UPDATE counter SET hits = hits + 1, admitted_at = ? WHERE id = 1', objectNow);
      return { result: { allowed: true, remaining: limit - row.hits - 1, resetAt: row.resetAt }, newWindow: false };
    }
    this.sql.exec(
      'INSERT OR REPLACE INTO counter (id, window, hits, reset_at, admitted_at, sealed) VALUES (1, ?, 1, ?, ?, 0)',
      current.index,
      current.resetAt,
      objectNow,
    );
    return { result: { allowed: true, remaining: limit - 1, resetAt: current.resetAt }, newWindow: true };
  }

  private read(): CounterRow | null {
    this.ensureSchema();
    const row = this.sql.exec('SELECT window, hits, reset_at, admitted_at, sealed FROM counter WHERE id = 1').toArray()[0];
    if (!row) return null;
    return {
      window: Number(row['window']),
      hits: Number(row['hits']),
      resetAt: Number(row['reset_at']),
      admittedAt: row['admitted_at'] === null ? null : Number(row['admitted_at']),
      sealed: Number(row['sealed']) === 1,
    };
  }

  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.sql.exec(SCHEMA);
    const columns = this.sql.exec('SELECT * FROM counter LIMIT 0').columnNames;
    for (const [name, definition] of Object.entries(ADDED_COLUMNS)) {
      if (!columns.includes(name)) this.sql.exec(`ALTER TABLE counter ADD COLUMN ${definition}`);
    }
    this.schemaReady = true;
  }

  private async clear(): Promise<void> {
    await this.state.storage.deleteAlarm();
    await this.state.storage.deleteAll();
    // deleteAll drops the table too.
    this.schemaReady = false;
  }
}
