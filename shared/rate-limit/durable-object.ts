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
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[] };
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

/** The body of a request to the object. `now` is the caller's clock, so tests can move time. */
export const counterRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('consume'), now: z.number().int().nonnegative(), rule: rateLimitRuleSchema }),
  z.object({ op: z.literal('reset') }),
]);

/** What the object answers to `consume`. */
export const counterResponseSchema = z.object({
  allowed: z.boolean(),
  remaining: z.number().int().nonnegative(),
  resetAt: z.number().int().nonnegative(),
});

const SCHEMA = `CREATE TABLE IF NOT EXISTS counter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  window INTEGER NOT NULL,
  hits INTEGER NOT NULL,
  reset_at INTEGER NOT NULL
)`;

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
      await this.clear();
      return Response.json({ reset: true });
    }
    const { now, rule } = body;
    const { result, newWindow } = this.consume(now, rule.limit, windowAt(now, rule));
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
  private consume(now: number, limit: number, current: { index: number; resetAt: number }) {
    this.ensureSchema();
    const row = this.read();
    if (row && row.window >= current.index) {
      if (row.hits >= limit) return { result: { allowed: false, remaining: 0, resetAt: row.resetAt }, newWindow: false };
      this.sql.exec('UPDATE counter SET hits = hits + 1 WHERE id = 1');
      return { result: { allowed: true, remaining: limit - row.hits - 1, resetAt: row.resetAt }, newWindow: false };
    }
    this.sql.exec(
      'INSERT OR REPLACE INTO counter (id, window, hits, reset_at) VALUES (1, ?, 1, ?)',
      current.index,
      current.resetAt,
    );
    return { result: { allowed: true, remaining: limit - 1, resetAt: current.resetAt }, newWindow: true };
  }

  private read(): { window: number; hits: number; resetAt: number } | null {
    this.ensureSchema();
    const row = this.sql.exec('SELECT window, hits, reset_at FROM counter WHERE id = 1').toArray()[0];
    if (!row) return null;
    return { window: Number(row['window']), hits: Number(row['hits']), resetAt: Number(row['reset_at']) };
  }

  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.sql.exec(SCHEMA);
    this.schemaReady = true;
  }

  private async clear(): Promise<void> {
    await this.state.storage.deleteAlarm();
    await this.state.storage.deleteAll();
    // deleteAll drops the table too.
    this.schemaReady = false;
  }
}
