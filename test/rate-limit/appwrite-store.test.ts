// The Appwrite store against the embedded Appwrite double over real HTTP on 127.0.0.1.
import type { Server as HttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger, type Logger } from '../../shared/log.js';
import { createAppwriteStore, rateLimitRowId } from '../../shared/rate-limit/appwrite-store.js';
import { RATE_LIMIT_DATABASE_ID as databaseId, RATE_LIMIT_TABLE_ID as tableId } from '../../shared/rate-limit/appwrite-table.js';
import { expectExactlyLimitAllowed } from './helpers.js';
import { close, closedPort, listen, READ_ONLY_KEY, startTablesDouble, type RunningTablesDouble } from './tables-double.js';

const rule = { limit: 3, windowSeconds: 60 };
// A window boundary for 60-second windows.
const start = Date.UTC(2026, 0, 15, 12, 0, 0);
let double: RunningTablesDouble;
beforeAll(async () => {
  double = await startTablesDouble(start);
});
afterAll(() => double.close());

function store(options: { apiKey?: string; tableId?: string; logger?: Logger } = {}) {
  return createAppwriteStore(double.connection(options.apiKey), {
    logger: options.logger ?? silentLogger,
    clock: double.clock,
    ...(options.tableId ? { tableId: options.tableId } : {}),
  });
}

describe('Appwrite store', () => {
  it('row IDs stay inside Appwrite ID rules and differ per key, rule and window', async () => {
    const id = await rateLimitRowId('ip:v4:203.0.113.7', rule, 123);
    expect(id).toMatch(/^[a-z0-9][a-z0-9]{35}$/);
    const others = await Promise.all([
      rateLimitRowId('ip:v4:203.0.113.8', rule, 123),
      rateLimitRowId('ip:v4:203.0.113.7', { limit: 4, windowSeconds: 60 }, 123),
      rateLimitRowId('ip:v4:203.0.113.7', { limit: 3, windowSeconds: 61 }, 123),
      rateLimitRowId('ip:v4:203.0.113.7', rule, 124),
    ]);
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('allows exactly the limit, then refuses; remaining counts down and resetAt is the window end', async () => {
    const rateLimits = store();
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await rateLimits.consume('seq', rule));
    expect(results).toEqual([
      { allowed: true, remaining: 2, resetAt: start + 60_000 },
      { allowed: true, remaining: 1, resetAt: start + 60_000 },
      { allowed: true, remaining: 0, resetAt: start + 60_000 },
      { allowed: false, remaining: 0, resetAt: start + 60_000 },
      { allowed: false, remaining: 0, resetAt: start + 60_000 },
    ]);
  });

  it('never allows more than the limit to concurrent callers, even while the row is being created', async () => {
    // Two store instances, as two function instances would have: they share nothing but Appwrite.
    const [a, b] = [store(), store()];
    const key = 'race';
    const limit = { limit: 7, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).consume(key, limit)));
    expect(results.filter((result) => result.allowed)).toHaveLength(7);
    await expectExactlyLimitAllowed(store(), 'race-2', { limit: 5, windowSeconds: 60 }, 40);
  });

  it('stores the window end as expiresAt and no key in clear', async () => {
    await store().consume('ip:v4:198.51.100.1', rule);
    const rowId = await rateLimitRowId('ip:v4:198.51.100.1', rule, Math.floor(start / 60_000));
    const row = await double.tables().getRow({ databaseId, tableId, rowId });
    expect(row).toMatchObject({ hits: 1, expiresAt: '2026-01-15T12:01:00.000+00:00' });
    expect(JSON.stringify(row)).not.toContain('198.51.100.1');
  });

  it('opens a new window when the clock passes the window end', async () => {
    const rateLimits = store();
    for (let i = 0; i < 3; i += 1) await rateLimits.consume('expiry', rule);
    double.clock.set(start + 59_999);
    expect((await rateLimits.consume('expiry', rule)).allowed).toBe(false);
    double.clock.set(start + 60_000);
    expect(await rateLimits.consume('expiry', rule)).toEqual({ allowed: true, remaining: 2, resetAt: start + 120_000 });
    double.clock.set(start);
  });

  it('reset forgets the current window; resetting a key with no row is fine', async () => {
    const rateLimits = store();
    for (let i = 0; i < 3; i += 1) await rateLimits.consume('reset', rule);
    expect((await rateLimits.consume('reset', rule)).allowed).toBe(false);
    await rateLimits.reset('reset', rule);
    expect(await rateLimits.consume('reset', rule)).toMatchObject({ allowed: true, remaining: 2 });
    await expect(rateLimits.reset('never-seen', rule)).resolves.toBeUndefined();
  });

  it('giveBack takes one hit back in the window it was counted in, never below zero; a cleared row has nothing to give back', async () => {
    const rateLimits = store();
    const counted = await rateLimits.consume('give-back', rule);
    await rateLimits.consume('give-back', rule);
    await rateLimits.giveBack!('give-back', rule, counted.resetAt);
    expect(await rateLimits.consume('give-back', rule)).toMatchObject({ allowed: true, remaining: 1 });
    // A window that has ended keeps its own count: the hit goes back to the row it was counted in.
    double.clock.advance(60_000);
    await rateLimits.consume('give-back', rule);
    await rateLimits.giveBack!('give-back', rule, counted.resetAt);
    expect(await rateLimits.consume('give-back', rule)).toMatchObject({ allowed: true, remaining: 1 });
    const previousRow = await rateLimitRowId('give-back', rule, counted.resetAt / 60_000 - 1);
    expect(await double.tables().getRow({ databaseId, tableId, rowId: previousRow })).toMatchObject({ hits: 1 });

    await rateLimits.reset('give-back', rule);
    await expect(rateLimits.giveBack!('give-back', rule, counted.resetAt + 60_000)).resolves.toBeUndefined();
    const fresh = await rateLimits.consume('give-back-zero', rule);
    await rateLimits.giveBack!('give-back-zero', rule, fresh.resetAt);
    await expect(rateLimits.giveBack!('give-back-zero', rule, fresh.resetAt)).resolves.toBeUndefined();
    expect(await rateLimits.consume('give-back-zero', rule)).toMatchObject({ allowed: true, remaining: 2 });
    // Only the end of one of this rule's windows names a row.
    await expect(rateLimits.giveBack!('give-back', rule, counted.resetAt + 1)).rejects.toThrow(TypeError);
  });

  it('purgeExpired deletes ended windows only', async () => {
    const rateLimits = store();
    double.clock.set(start - 10 * 60_000);
    await rateLimits.consume('purge-old-1', rule);
    await rateLimits.consume('purge-old-2', rule);
    double.clock.set(start);
    await rateLimits.consume('purge-live', rule);
    await rateLimits.consume('purge-live', rule);

    expect(await rateLimits.purgeExpired()).toBeGreaterThanOrEqual(2);
    const oldRow = await rateLimitRowId('purge-old-1', rule, Math.floor((start - 10 * 60_000) / 60_000));
    await expect(double.tables().getRow({ databaseId, tableId, rowId: oldRow })).rejects.toMatchObject({ code: 404 });
    // The live window keeps its count.
    expect(await rateLimits.consume('purge-live', rule)).toMatchObject({ allowed: true, remaining: 0 });
  });

  describe('fails closed with rate_limiter_unavailable', () => {
    it('when Appwrite cannot be reached', async () => {
      const port = await closedPort();
      const lines: string[] = [];
      const rateLimits = createAppwriteStore(
        { APPWRITE_ENDPOINT: `http://127.0.0.1:${port}/v1`, APPWRITE_PROJECT_ID: 'p', APPWRITE_API_KEY: 'secret-key', APPWRITE_TIMEOUT_MS: 2_000 },
        { logger: createLogger((line) => lines.push(line)) },
      );
      await expect(rateLimits.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
      await expect(rateLimits.reset('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
      expect(lines.join('\n')).toContain('reason="unreachable"');
      expect(lines.join('\n')).not.toContain('secret-key');
    });

    it('when Appwrite answers 5xx', async () => {
      const server = await listen(() => Response.json({ message: 'boom', code: 500, type: 'general_unknown', version: '1.9.6' }, { status: 500 }));
      try {
        const { port } = server.address() as { port: number };
        const rateLimits = createAppwriteStore(
          { APPWRITE_ENDPOINT: `http://127.0.0.1:${port}/v1`, APPWRITE_PROJECT_ID: 'p', APPWRITE_API_KEY: 'k', APPWRITE_TIMEOUT_MS: 2_000 },
          { logger: silentLogger },
        );
        await expect(rateLimits.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
      } finally {
        await close(server);
      }
    });

    it('when Appwrite hangs past the deadline', async () => {
      const server = await listen(() => new Promise<Response>(() => {}));
      try {
        const { port } = server.address() as { port: number };
        const rateLimits = createAppwriteStore(
          { APPWRITE_ENDPOINT: `http://127.0.0.1:${port}/v1`, APPWRITE_PROJECT_ID: 'p', APPWRITE_API_KEY: 'k', APPWRITE_TIMEOUT_MS: 100 },
          { logger: silentLogger },
        );
        await expect(rateLimits.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
      } finally {
        (server as HttpServer).closeAllConnections();
        await close(server);
      }
    });
  });

  describe('a refusal is the function misconfigured: 502 appwrite_error, and the log says what to fix', () => {
    it.each([
      ['a key without rows.write', { apiKey: READ_ONLY_KEY }, 'general_unauthorized_scope', 'the function needs rows.read and rows.write'],
      ['a key the project does not know', { apiKey: 'unknown-key' }, 'user_unauthorized', 'APPWRITE_API_KEY'],
      ['a missing table', { tableId: 'missing_table' }, 'table_not_found', 'appwrite push tables'],
    ])('%s', async (_, options, appwriteType, hint) => {
      const lines: string[] = [];
      const rateLimits = store({ ...options, logger: createLogger((line) => lines.push(line)) });
      const refused = { type: 'appwrite_error', status: 502 };
      await expect(rateLimits.consume('scope', rule)).rejects.toMatchObject(refused);
      await expect(rateLimits.reset('scope', rule)).rejects.toMatchObject(refused);
      await expect(rateLimits.purgeExpired()).rejects.toMatchObject(refused);
      // One line per call, naming the call Appwrite refused.
      expect(lines.map((line) => /operation="([^"]*)"/.exec(line)?.[1])).toEqual(['tablesDB.createRow', 'tablesDB.deleteRow', 'tablesDB.deleteRows']);
      for (const line of lines) {
        expect(line).toMatch(new RegExp(`^appwrite_rejected_request operation="tablesDB\\.\\w+" status=\\d+ appwriteType="${appwriteType}" hint=".*${hint}.*"$`));
      }
    });
  });

  describe('once the request is abandoned', () => {
    it('starts no call: nothing is counted, reset or purged', async () => {
      const lines: string[] = [];
      const abandoned = AbortSignal.abort();
      const rateLimits = createAppwriteStore(double.connection(), { logger: createLogger((line) => lines.push(line)), clock: double.clock, signal: abandoned });
      await expect(rateLimits.consume('abandoned', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
      const rowId = await rateLimitRowId('abandoned', rule, Math.floor(start / 60_000));
      await expect(double.tables().getRow({ databaseId, tableId, rowId })).rejects.toMatchObject({ code: 404 });

      await store().consume('abandoned', rule);
      await expect(rateLimits.reset('abandoned', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
      expect(await double.tables().getRow({ databaseId, tableId, rowId })).toMatchObject({ hits: 1 });
      expect(lines).toEqual(['request_abandoned step="tablesDB.createRow"', 'request_abandoned step="tablesDB.deleteRow"']);
    });
  });
});
