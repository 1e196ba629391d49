/**
 * The embedded Appwrite as `npm start` serves it, attacked from the outside over real HTTP: it must
 * be no softer than the kit in front of it on the same port. Body size as Appwrite's HTTP server
 * caps it, table permissions as Appwrite enforces them, abuse counters keyed on the socket and
 * bounded, and CORS only for the origins it was configured for.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { RATE_LIMIT_DATABASE_ID, RATE_LIMIT_TABLE_ID } from '../../shared/rate-limit/appwrite-table.js';
import { ONCE_TABLE_ID } from '../../shared/once/appwrite-table.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';

const MiB = 1024 * 1024;

async function startServer(env: Record<string, string> = {}): Promise<RunningNodeServer> {
  return startNodeServer({
    env: { PORT: '0', ...env },
    functions: kitFunctions,
    logger: silentLogger,
    embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
}

let server: RunningNodeServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** A request to the embedded Appwrite, naming its project, with an optional key or session. */
function v1(path: string, init: { method?: string; body?: unknown; key?: boolean; session?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'x-appwrite-project': server.appwrite.projectId, ...init.headers };
  if (init.key) headers['x-appwrite-key'] = server.appwrite.apiKey!;
  if (init.session) headers['x-appwrite-session'] = init.session;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.appwrite.endpoint}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/**
 * Sends `total` bytes of JSON whitespace as a POST body, a chunk at a time and only as fast as the
 * server reads, and stops as soon as an answer arrives. How much was written shows whether the
 * server read the body before answering.
 */
function sendLargeBody(url: string, total: number, declareLength: boolean): Promise<{ status: number; body: string; written: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-appwrite-project': server.appwrite.projectId };
    if (declareLength) headers['content-length'] = String(total);
    const request = httpRequest(url, { method: 'POST', headers });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    let written = 0;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      let body = '';
      response.on('data', (data: Buffer) => (body += data.toString()));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body, written });
        request.destroy();
      });
      response.on('error', reject);
    });
    // Once the server has answered it may close the socket under a write still in flight.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && written < total) {
        const size = Math.min(chunk.length, total - written);
        written += size;
        if (!request.write(chunk.subarray(0, size))) {
          request.once('drain', pump);
          return;
        }
      }
      if (!answered) request.end();
    };
    pump();
  });
}

describe('request body limit (Appwrite: 12 MiB, Swoole package_max_length)', () => {
  it('refuses a 32 MiB body with a declared length before reading it: 413 while most of it was never sent', async () => {
    const answer = await sendLargeBody(`${server.appwrite.endpoint}/account/sessions/token`, 32 * MiB, true);

    expect(answer.status).toBe(413);
    // Swoole answers its 413 itself, before Appwrite's code and error shape: an empty body.
    expect(answer.body).toBe('');
    expect(answer.written).toBeLessThan(16 * MiB);
  });

  it('stops reading a chunked body once it passes 12 MiB', async () => {
    const answer = await sendLargeBody(`${server.appwrite.endpoint}/account/sessions/token`, 32 * MiB, false);

    expect(answer.status).toBe(413);
    expect(answer.written).toBeLessThan(32 * MiB);
  });

  it('still reads a body under the limit', async () => {
    const padded = `{"userId":"nobody","secret":"000000"${' '.repeat(MiB)}}`;
    const response = await fetch(`${server.appwrite.endpoint}/account/sessions/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-appwrite-project': server.appwrite.projectId },
      body: padded,
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'user_invalid_token' });
  });
});

describe('table permissions (kit tables declare none: API keys only)', () => {
  const rowsPath = (tableId: string) => `/tablesdb/${RATE_LIMIT_DATABASE_ID}/tables/${tableId}/rows`;
  const row = { rowId: 'victim', data: { hits: 3, expiresAt: '2030-01-01T00:00:00.000+00:00' } };

  /** A signed-in user's session, exchanged as a browser would, read from the web SDK's fallback header. */
  async function userSession(): Promise<string> {
    const userId = `reader${Date.now().toString(36)}`;
    expect((await v1('/users', { method: 'POST', key: true, body: { userId } })).status).toBe(201);
    const token = (await (await v1(`/users/${userId}/tokens`, { method: 'POST', key: true, body: {} })).json()) as { secret: string };
    const exchanged = await v1('/account/sessions/token', { method: 'POST', body: { userId, secret: token.secret } });
    expect(exchanged.status).toBe(201);
    const fallback = JSON.parse(exchanged.headers.get('x-fallback-cookies') ?? '{}') as Record<string, string>;
    const session = fallback[`a_session_${server.appwrite.projectId}`]!;
    expect(((await (await v1('/account', { session })).json()) as { $id: string }).$id).toBe(userId);
    return session;
  }

  it.each([
    ['a guest', async () => ({})],
    ['a signed-in user', async () => ({ session: await userSession() })],
  ])('gives %s no way to create, read, change or delete counters', async (_, caller) => {
    const as = await caller();
    const path = rowsPath(RATE_LIMIT_TABLE_ID);
    await v1(`${path}/victim`, { method: 'DELETE', key: true });
    expect((await v1(path, { method: 'POST', key: true, body: row })).status).toBe(201);

    const created = await v1(path, { method: 'POST', body: { ...row, rowId: 'forged' }, ...as });
    expect(created.status).toBe(401);
    expect(await created.json()).toMatchObject({ type: 'user_unauthorized', message: "No permissions provided for action 'create'" });

    const read = await v1(`${path}/victim`, as);
    expect(read.status).toBe(404);
    expect(await read.json()).toMatchObject({ type: 'row_not_found' });

    const incremented = await v1(`${path}/victim/hits/increment`, { method: 'PATCH', body: { value: 1 }, ...as });
    expect(incremented.status).toBe(401);
    expect(await incremented.json()).toMatchObject({ type: 'user_unauthorized' });

    const deleted = await v1(`${path}/victim`, { method: 'DELETE', ...as });
    expect(deleted.status).toBe(401);
    expect(await deleted.json()).toMatchObject({ type: 'user_unauthorized' });

    // Bulk delete reads the database without skipping authorization; its document has no permissions.
    const bulk = await v1(path, { method: 'DELETE', ...as });
    expect(bulk.status).toBe(404);
    expect(await bulk.json()).toMatchObject({ type: 'database_not_found' });

    const kept = await v1(`${path}/victim`, { key: true });
    expect(kept.status).toBe(200);
    expect(await kept.json()).toMatchObject({ $id: 'victim', hits: 3 });
    expect((await v1(`${path}/forged`, { key: true })).status).toBe(404);
  });

  it('refuses a guest the once-store table too', async () => {
    const created = await v1(rowsPath(ONCE_TABLE_ID), { method: 'POST', body: { rowId: 'claimed', data: { expiresAt: '2030-01-01T00:00:00.000+00:00' } } });
    expect(created.status).toBe(401);
    expect(await created.json()).toMatchObject({ type: 'user_unauthorized' });
  });
});

describe('abuse limits', () => {
  it('count the socket’s address, so rotating X-Forwarded-For does not reset the 10-per-hour exchange limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await v1('/account/sessions/token', {
        method: 'POST',
        body: { userId: 'abuse-target', secret: '000000' },
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
  });
});

describe('CORS (like an Appwrite project’s platforms)', () => {
  const originOf = (url: string) => new URL(url).origin;

  it('allows npm start’s own origin and localhost ports by default, with credentials', async () => {
    for (const origin of [originOf(server.url), 'http://localhost:5173', 'http://127.0.0.1:8080']) {
      const response = await v1('/account', { headers: { origin } });
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it('gives any other origin no Access-Control-Allow-Origin, and refuses its requests with 403 general_unknown_origin', async () => {
    const origin = 'http://evil.example';
    const preflight = await fetch(`${server.appwrite.endpoint}/account/sessions/token`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-appwrite-project' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const exchange = await v1('/account/sessions/token', { method: 'POST', body: { userId: 'someone', secret: '000000' }, headers: { origin } });
    expect(exchange.status).toBe(403);
    expect(exchange.headers.get('access-control-allow-origin')).toBeNull();
    expect(await exchange.json()).toMatchObject({
      type: 'general_unknown_origin',
      message: 'Invalid Origin. Register your new client (evil.example) as a new Web platform on your project console dashboard',
    });
  });

  it('lets a server-side caller with a key through whatever its Origin, as Appwrite does', async () => {
    const response = await v1('/users', { key: true, headers: { origin: 'http://evil.example' } });
    expect(response.status).toBe(200);
  });

  it('takes its list from DEV_APPWRITE_CORS_ORIGINS, keeping its own origin', async () => {
    const custom = await startServer({ DEV_APPWRITE_CORS_ORIGINS: 'https://app.example, http://localhost:4321' });
    try {
      const allowed = async (origin: string) =>
        (
          await fetch(`${custom.appwrite.endpoint}/account`, { headers: { origin, 'x-appwrite-project': custom.appwrite.projectId } })
        ).headers.get('access-control-allow-origin');
      expect(await allowed('https://app.example')).toBe('https://app.example');
      expect(await allowed('http://localhost:4321')).toBe('http://localhost:4321');
      expect(await allowed(originOf(custom.url))).toBe(originOf(custom.url));
      expect(await allowed('http://localhost:5173')).toBeNull();
      expect(await allowed('http://app.example')).toBeNull();
    } finally {
      await custom.close();
    }
  });

  it('refuses a malformed DEV_APPWRITE_CORS_ORIGINS at start, naming it', async () => {
    await expect(startServer({ DEV_APPWRITE_CORS_ORIGINS: 'app.example' })).rejects.toThrow('DEV_APPWRITE_CORS_ORIGINS');
  });
});
