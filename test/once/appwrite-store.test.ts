// The Appwrite once-store against the embedded Appwrite double over real HTTP on 127.0.0.1.
import type { Server as HttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger, type Logger } from '../../shared/log.js';
import { createAppwriteOnceStore, onceRowId } from '../../shared/once/appwrite-store.js';
import { ONCE_DATABASE_ID as databaseId, ONCE_TABLE_ID as tableId } from '../../shared/once/appwrite-table.js';
import { onceKey } from '../../shared/once/store.js';
import { close, closedPort, listen, READ_ONLY_KEY, startTablesDouble, type RunningTablesDouble } from '../rate-limit/tables-double.js';
import { startWriteOnlyDouble } from './write-only-double.js';

const start = Date.UTC(2026, 0, 15, 12, 0, 0);
const minute = 60_000;
let double: RunningTablesDouble;
beforeAll(async () => {
  double = await startTablesDouble(start);
});
afterAll(() => double.close());

function store(options: { apiKey?: string; tableId?: string; logger?: Logger } = {}) {
  return createAppwriteOnceStore(double.connection(options.apiKey), {
    logger: options.logger ?? silentLogger,
    clock: double.clock,
    ...(options.tableId ? { tableId: options.tableId } : {}),
  });
}

/** A fake Appwrite answering every request from a handler, for failures the double never shows. */
async function withFakeAppwrite(handler: (request: Request) => Response | Promise<Response>, body: (endpoint: string) => Promise<void>) {
  const server = await listen(handler);
  try {
    const { port } = server.address() as { port: number };
    await body(`http://127.0.0.1:${port}/v1`);
  } finally {
    (server as HttpServer).closeAllConnections();
    await close(server);
  }
}

function fakeStore(endpoint: string, timeoutMs = 2_000) {
  return createAppwriteOnceStore(
    { APPWRITE_ENDPOINT: endpoint, APPWRITE_PROJECT_ID: 'p', APPWRITE_API_KEY: 'k', APPWRITE_TIMEOUT_MS: timeoutMs },
    { logger: silentLogger, clock: { now: () => start } },
  );
}

const appwriteError = (code: number, type: string) => Response.json({ message: type, code, type, version: '1.9.6' }, { status: code });

describe('Appwrite once-store', () => {
  it('row IDs stay inside Appwrite ID rules and differ per key', async () => {
    const id = await onceRowId(await onceKey('oidc.jti', 'a'));
    expect(id).toMatch(/^once[0-9a-f]{32}$/);
    expect(await onceRowId(await onceKey('oidc.jti', 'b'))).not.toBe(id);
    expect(await onceRowId('x'.repeat(512))).toHaveLength(36);
  });

  it('the first claim wins and every later one is a replay; the row holds the expiry and no key in clear', async () => {
    const once = store();
    const key = await onceKey('captcha', 'token-value-1');
    expect(await once.claim(key, start + 5 * minute)).toBe(true);
    expect(await once.claim(key, start + 5 * minute)).toBe(false);
    expect(await store().claim(key, start + 10 * minute)).toBe(false);

    const row = await double.tables().getRow({ databaseId, tableId, rowId: await onceRowId(key) });
    expect(row).toMatchObject({ expiresAt: '2026-01-15T12:05:00.000+00:00' });
    expect(JSON.stringify(row)).not.toContain(key);
    expect(JSON.stringify(row)).not.toContain('token-value-1');
  });

  it('of 50 concurrent claims of one key from two instances exactly one wins', async () => {
    // Two store instances, as two function instances would have: they share nothing but Appwrite.
    const [a, b] = [store(), store()];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).claim('race', start + minute)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('of 50 concurrent claims of a key whose record expired exactly one wins', async () => {
    const once = store();
    expect(await once.claim('race-expired', start + minute)).toBe(true);
    double.clock.set(start + minute + 1);
    try {
      const [a, b] = [store(), store()];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).claim('race-expired', start + 2 * minute)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const row = await double.tables().getRow({ databaseId, tableId, rowId: await onceRowId('race-expired') });
      expect(row).toMatchObject({ expiresAt: '2026-01-15T12:02:00.000+00:00' });
    } finally {
      double.clock.set(start);
    }
  });

  it('a slow claimer deleting an expired record never deletes the record a faster claimer just made', async () => {
    // B's requests go through a proxy that holds B's delete of the expired row until A has deleted it
    // too and re-created the row as its own: the interleaving that would let B win a second time.
    let deleteArrived!: () => void;
    let releaseDelete!: () => void;
    const arrived = new Promise<void>((resolve) => (deleteArrived = resolve));
    const released = new Promise<void>((resolve) => (releaseDelete = resolve));
    const origin = new URL(double.endpoint).origin;
    const proxy = await listen(async (request) => {
      if (request.method === 'DELETE') {
        deleteArrived();
        await released;
      }
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      for (const name of ['host', 'connection', 'content-length']) headers.delete(name);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
      return fetch(`${origin}${url.pathname}${url.search}`, { method: request.method, headers, body });
    });
    try {
      const { port } = proxy.address() as { port: number };
      const slow = createAppwriteOnceStore(
        { ...double.connection(), APPWRITE_ENDPOINT: `http://127.0.0.1:${port}/v1` },
        { logger: silentLogger, clock: double.clock },
      );
      expect(await store().claim('slow-delete', start + minute)).toBe(true);
      double.clock.set(start + minute + 1);

      const slowClaim = slow.claim('slow-delete', start + 2 * minute);
      await arrived;
      expect(await store().claim('slow-delete', start + 2 * minute)).toBe(true);
      releaseDelete();
      expect(await slowClaim).toBe(false);
      expect(await store().claim('slow-delete', start + 2 * minute)).toBe(false);
    } finally {
      releaseDelete();
      double.clock.set(start);
      (proxy as HttpServer).closeAllConnections();
      await close(proxy);
    }
  });

  it('a record holds through its expiresAt and can be claimed again after it', async () => {
    const once = store();
    expect(await once.claim('expiry', start + minute)).toBe(true);
    try {
      double.clock.set(start + minute);
      expect(await once.claim('expiry', start + 2 * minute)).toBe(false);
      double.clock.set(start + minute + 1);
      expect(await once.claim('expiry', start + 2 * minute)).toBe(true);
      expect(await once.claim('expiry', start + 2 * minute)).toBe(false);
    } finally {
      double.clock.set(start);
    }
  });

  it('purgeExpired deletes expired records only', async () => {
    const once = store();
    await once.claim('purge-old-1', start + 1_000);
    await once.claim('purge-old-2', start + 1_000);
    await once.claim('purge-live', start + 10 * minute);
    try {
      double.clock.set(start + 1_001);
      expect(await once.purgeExpired()).toBeGreaterThanOrEqual(2);
      await expect(double.tables().getRow({ databaseId, tableId, rowId: await onceRowId('purge-old-1') })).rejects.toMatchObject({ code: 404 });
      expect(await once.claim('purge-live', start + 10 * minute)).toBe(false);
      expect(await once.claim('purge-old-2', start + 10 * minute)).toBe(true);
    } finally {
      double.clock.set(start);
    }
  });

  it('refuses bad keys and expiries as programming errors, before calling Appwrite', async () => {
    const once = fakeStore(`http://127.0.0.1:${await closedPort()}/v1`);
    await expect(once.claim('has space', start + minute)).rejects.toThrow(TypeError);
    await expect(once.claim('k', start - 1)).rejects.toThrow(TypeError);
    await expect(once.claim('k', start + 400 * 24 * 60 * minute)).rejects.toThrow(TypeError);
  });

  describe('fails closed with once_store_unavailable', () => {
    it('when Appwrite cannot be reached', async () => {
      const port = await closedPort();
      const lines: string[] = [];
      const once = createAppwriteOnceStore(
        { APPWRITE_ENDPOINT: `http://127.0.0.1:${port}/v1`, APPWRITE_PROJECT_ID: 'p', APPWRITE_API_KEY: 'secret-key', APPWRITE_TIMEOUT_MS: 2_000 },
        { logger: createLogger((line) => lines.push(line)) },
      );
      await expect(once.claim('k', Date.now() + minute)).rejects.toMatchObject({ type: 'once_store_unavailable', status: 503 });
      await expect(once.purgeExpired()).rejects.toMatchObject({ type: 'once_store_unavailable' });
      expect(lines.join('\n')).toContain('reason="unreachable"');
      expect(lines.join('\n')).not.toContain('secret-key');
    });


    it('when Appwrite answers 5xx', async () => {
      await withFakeAppwrite(
        () => appwriteError(500, 'general_unknown'),
        async (endpoint) => {
          await expect(fakeStore(endpoint).claim('k', start + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });
        },
      );
    });

    it('when Appwrite hangs past the deadline', async () => {
      await withFakeAppwrite(
        () => new Promise<Response>(() => {}),
        async (endpoint) => {
          await expect(fakeStore(endpoint, 100).claim('k', start + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });
        },
      );
    });

    it('when the stored row does not parse', async () => {
      await withFakeAppwrite(
        (request) => (request.method === 'POST' ? appwriteError(409, 'row_already_exists') : Response.json({ $id: 'x', expiresAt: 'soon' })),
        async (endpoint) => {
          await expect(fakeStore(endpoint).claim('k', start + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });
        },
      );
    });

    it('when the row keeps vanishing between the create and the read, after a bounded number of rounds', async () => {
      let creates = 0;
      await withFakeAppwrite(
        (request) => {
          if (request.method !== 'POST') return appwriteError(404, 'row_not_found');
          creates += 1;
          return appwriteError(409, 'row_already_exists');
        },
        async (endpoint) => {
          await expect(fakeStore(endpoint).claim('k', start + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });
        },
      );
      expect(creates).toBe(4);
    });
  });

  describe('a refusal is the function misconfigured: 502 appwrite_error, and the log says what to fix', () => {
    it.each([
      ['a key without rows.write', { apiKey: READ_ONLY_KEY }, 'general_unauthorized_scope', 'the function needs rows.read and rows.write'],
      ['a key the project does not know', { apiKey: 'unknown-key' }, 'user_unauthorized', 'APPWRITE_API_KEY'],
      ['a missing table', { tableId: 'missing_table' }, 'table_not_found', 'appwrite push tables'],
    ])('%s', async (_, options, appwriteType, hint) => {
      const lines: string[] = [];
      const once = store({ ...options, logger: createLogger((line) => lines.push(line)) });
      const refused = { type: 'appwrite_error', status: 502 };
      await expect(once.claim('scope', start + minute)).rejects.toMatchObject(refused);
      await expect(once.purgeExpired()).rejects.toMatchObject(refused);
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line).toMatch(new RegExp(`^appwrite_rejected_request operation="tablesDB\\.\\w+" status=\\d+ appwriteType="${appwriteType}" hint=".*${hint}.*"$`));
      }
    });

    it('a key that can write but not read: a replay cannot be told from a first claim', async () => {
      const writeOnly = await startWriteOnlyDouble(start);
      try {
        const once = createAppwriteOnceStore(writeOnly.connection, { logger: silentLogger, clock: { now: () => start } });
        expect(await once.claim('write-only', start + minute)).toBe(true);
        await expect(once.claim('write-only', start + minute)).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
      } finally {
        await writeOnly.close();
      }
    });
  });

  it('once the request is abandoned, starts no call: nothing is claimed', async () => {
    const lines: string[] = [];
    const once = createAppwriteOnceStore(double.connection(), { logger: createLogger((line) => lines.push(line)), clock: double.clock, signal: AbortSignal.abort() });
    await expect(once.claim('abandoned', start + minute)).rejects.toMatchObject({ type: 'once_store_unavailable' });
    expect(await store().claim('abandoned', start + minute)).toBe(true);
    expect(lines).toEqual(['request_abandoned step="tablesDB.createRow"']);
  });
});
