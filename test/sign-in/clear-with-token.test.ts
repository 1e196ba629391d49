/**
 * The limits a success clears are cleared while the user is resolved and the token minted, not
 * before: two independent round trips at once. A clear that fails still fails the sign-in (the
 * limiter is unavailable: 503), and nothing reaches the client. Counters in the Appwrite table of
 * the embedded double, whose row deletes a loopback proxy can make fail.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { systemClock } from '../../shared/clock.js';
import type { AppwriteConnection } from '../../shared/config.js';
import { createDevAppwrite, type DevAppwriteStore } from '../../shared/dev-appwrite/index.js';
import { createFunctionApp, jsonBody } from '../../shared/http.js';
import { createAppwriteStore } from '../../shared/rate-limit/appwrite-store.js';
import { perClientIp } from '../../shared/rate-limit/checks.js';
import { createSignIn } from '../../shared/sign-in/pipeline.js';
import { deriveUserId } from '../../shared/sign-in/user-id.js';
import { close, listen } from '../rate-limit/tables-double.js';
import { captureLogs } from './helpers.js';

const PROJECT_ID = 'kit-clear-with-token';
const KEY = 'clear-with-token-key';
let server: ServerType;
let store: DevAppwriteStore;
let endpoint: string;

beforeAll(async () => {
  const double = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [KEY]: ['users.read', 'users.write', 'rows.read', 'rows.write'] } });
  store = double.store;
  server = serve({ fetch: double.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => close(server));

const connection = (to: string): AppwriteConnection => ({ APPWRITE_ENDPOINT: to, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: KEY, APPWRITE_TIMEOUT_MS: 5000 });

/**
 * In front of the double: holds each call 50 ms (so calls sent together overlap whatever the
 * machine's pace), answers 500 to every row delete when `failDeletes`, and notes when each call came and went.
 */
async function frontOfAppwrite(failDeletes: boolean) {
  const calls: Array<{ what: string; startedAt: number; endedAt: number }> = [];
  const front = await listen(async (request) => {
    const url = new URL(request.url);
    const startedAt = performance.now();
    const what = `${request.method} ${url.pathname}`;
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (failDeletes && request.method === 'DELETE' && url.pathname.includes('/tablesdb/')) {
        return Response.json({ message: 'boom', code: 500, type: 'general_unknown', version: '1.9.6' }, { status: 500 });
      }
      const body = request.method === 'GET' ? undefined : await request.arrayBuffer();
      const headers = new Headers(request.headers);
      headers.delete('host');
      headers.delete('content-length');
      const upstream = await fetch(new URL(`${url.pathname}${url.search}`, endpoint), { method: request.method, headers, body });
      return new Response(upstream.status === 204 ? null : await upstream.arrayBuffer(), { status: upstream.status, headers: upstream.headers });
    } finally {
      calls.push({ what, startedAt, endedAt: performance.now() });
    }
  });
  return { endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}/v1`, calls, close: () => close(front) };
}

function signInApp(appwrite: string) {
  const { logger, lines } = captureLogs();
  const attempts = perClientIp('test.clear-with-token', '203.0.113.7', [{ limit: 5, windowSeconds: 60 }]);
  const signIn = createSignIn({
    users: createAppwriteUsers(connection(appwrite), logger),
    logger,
    clock: systemClock,
    rateLimits: createAppwriteStore(connection(appwrite), { logger }),
  });
  const app = createFunctionApp({ logger });
  app.post('/sign-in', jsonBody(z.object({ email: z.string() })), (c) =>
    signIn(c, {
      guards: [attempts],
      clearOnSuccess: [attempts],
      prove: async () => {
        const { email } = c.req.valid('json');
        return { userId: await deriveUserId('t', 'test-email', email), profile: { email } };
      },
      token: { length: 64, expire: 600 },
      deliver: 'response',
    }),
  );
  const call = (email: string) =>
    app.request('/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
  return { call, lines };
}

describe('clearing limits on success', () => {
  it('is sent before the user is resolved and the token minted, and answered along with them', async () => {
    const front = await frontOfAppwrite(false);
    try {
      const { call } = signInApp(front.endpoint);
      const response = await call('alice@example.com');
      expect(response.status).toBe(200);
      const clear = front.calls.find((each) => each.what.startsWith('DELETE') && each.what.includes('/tablesdb/'))!;
      const token = front.calls.find((each) => each.what.endsWith('/tokens'))!;
      const lookup = front.calls.find((each) => each.what.startsWith('GET /v1/users/'))!;
      // The lookup went out before the clear was answered: neither waited for the other.
      expect(lookup.startedAt).toBeLessThan(clear.endedAt);
      expect(clear.startedAt).toBeLessThan(lookup.endedAt);
      expect(token.startedAt).toBeGreaterThan(lookup.endedAt);
    } finally {
      await front.close();
    }
  });

  it('that fails, fails the sign-in with 503 rate_limiter_unavailable and no secret in the answer', async () => {
    const front = await frontOfAppwrite(true);
    try {
      const { call, lines } = signInApp(front.endpoint);
      const response = await call('bob@example.com');
      expect(response.status).toBe(503);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ code: 503, type: 'rate_limiter_unavailable' });
      expect(Object.keys(body)).not.toContain('secret');
      expect(lines.join('\n')).not.toMatch(/login_succeeded/);
      // The token was minted alongside; it reaches no one and expires unused.
      expect(store.tokensOf(await deriveUserId('t', 'test-email', 'bob@example.com'))).toHaveLength(1);
    } finally {
      await front.close();
    }
  });
});
