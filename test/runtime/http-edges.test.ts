/**
 * The edges of the Node server's HTTP: errors answered before a function's routes (body limit, 404,
 * 405) carry that function's CORS headers, `/health` answers browsers, every answer says `nosniff`,
 * a 404 repeats only a bounded, plain path, and requests Node's parser refuses get the kit's error
 * shape instead of an empty body. A real server on loopback, over HTTP and raw sockets.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { kitFunctions } from '../../functions/index.js';
import { createFunctionApp } from '../../shared/http.js';
import { silentLogger } from '../../shared/log.js';
import { defineFunction } from '../../shared/platform.js';
import { defineRoutes, serveRoutes } from '../../shared/routes.js';
import { clientErrorAnswer } from '../../shared/runtime/node-http.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';

const allowedOrigin = 'https://app.example.com';

/** A function that takes bodies up to 64 KiB, four times the kit's default: mounting must not cut it to 16 KiB. */
const roomyRoutes = defineRoutes({
  echo: {
    method: 'post',
    path: '/echo',
    summary: 'Says how long the text was.',
    body: z.object({ text: z.string() }),
    answers: { 200: { description: 'Its length.', schema: z.object({ length: z.number() }) } },
    errors: [],
  },
});
const roomy = defineFunction({
  name: 'roomy',
  summary: 'Takes large bodies.',
  configSchema: z.object({}),
  ports: {},
  routes: roomyRoutes,
  createApp: () =>
    serveRoutes(createFunctionApp({ logger: silentLogger, maxBodyBytes: 64 * 1024 }), roomyRoutes, {
      echo: (c, { body }) => c.json({ length: body.text.length }),
    }),
});

/** A function whose one route answers only when the test opens the gate: a response kept open. */
let openGate = () => {};
const gate = new Promise<void>((resolve) => (openGate = resolve));
const gatedRoutes = defineRoutes({
  wait: { method: 'get', path: '/wait', summary: 'Answers when let.', answers: { 200: { description: 'Let.', schema: z.object({ let: z.boolean() }) } }, errors: [] },
});
const gated = defineFunction({
  name: 'gated',
  summary: 'Answers when the test lets it.',
  configSchema: z.object({}),
  ports: {},
  routes: gatedRoutes,
  createApp: () =>
    serveRoutes(createFunctionApp({ logger: silentLogger }), gatedRoutes, {
      wait: async (c) => {
        await gate;
        return c.json({ let: true });
      },
    }),
});

let server: RunningNodeServer;
beforeAll(async () => {
  server = await startNodeServer({
    env: { PORT: '0', CORS_ALLOWED_ORIGINS: allowedOrigin },
    functions: [...kitFunctions, roomy, gated],
    logger: silentLogger,
    embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
});
afterAll(() => server?.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: allowedOrigin, ...headers }, body });
const tooLarge = JSON.stringify({ username: 'alice', password: 'x'.repeat(20 * 1024) });

describe('errors answered before a function’s routes', () => {
  it('413: carries the function’s CORS headers, so a browser sees the 413 and not a CORS failure', async () => {
    const response = await post('/password/login', tooLarge);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 413, type: 'payload_too_large' });
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
  });

  it('413: still no CORS header for an origin the function does not allow', async () => {
    const response = await post('/password/login', tooLarge, { origin: 'https://evil.example' });
    expect(response.status).toBe(413);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the function’s own body limit applies, not the server’s default', async () => {
    const fits = await post('/roomy/echo', JSON.stringify({ text: 'x'.repeat(40 * 1024) }));
    expect(fits.status).toBe(200);
    expect(await fits.json()).toEqual({ length: 40 * 1024 });
    const over = await post('/roomy/echo', JSON.stringify({ text: 'x'.repeat(70 * 1024) }));
    expect(over.status).toBe(413);
    expect(over.headers.get('access-control-allow-origin')).toBe('*');
  });

  it.each([
    ['415', () => post('/password/login', '{}', { 'content-type': 'text/plain' }), 415],
    ['404 under a function', () => fetch(`${server.url}/password/nope`, { headers: { origin: allowedOrigin } }), 404],
    ['405 on a function route', () => fetch(`${server.url}/password/login`, { method: 'PUT', headers: { origin: allowedOrigin } }), 405],
  ])('%s: carries the function’s CORS headers', async (_, request, status) => {
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
  });
});

describe('/health and browsers', () => {
  it('GET answers any origin, read-only and without credentials', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { origin: 'https://status.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers a preflight with 204 and GET', async () => {
    const response = await fetch(`${server.url}/health`, {
      method: 'OPTIONS',
      headers: { origin: 'https://status.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-probe' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')?.split(',')).toContain('GET');
    expect(response.headers.get('access-control-allow-methods')).not.toMatch(/POST|DELETE|PUT|PATCH/);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('X-Content-Type-Options: nosniff on every answer', () => {
  it.each([
    ['GET /health', '/health', {}],
    ['OPTIONS /health', '/health', { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } }],
    ['a preflight to a function', '/password/login', { method: 'OPTIONS', headers: { origin: allowedOrigin, 'access-control-request-method': 'POST' } }],
    ['a 401 from a function', '/password/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'wrong password here' }) }],
    ['a 413', '/password/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: tooLarge }],
    ['a 404 at the root', '/nope', {}],
    ['a 404 under a function', '/password/nope', {}],
    ['a 405 at the root', '/health', { method: 'DELETE' }],
    ['GET /openapi.json', '/openapi.json', {}],
    ['GET /docs', '/docs', {}],
    ['a 404 under /docs', '/docs/nope.js', {}],
  ] as [string, string, RequestInit][])('%s', async (_, path, init) => {
    const response = await fetch(`${server.url}${path}`, init);
    await response.arrayBuffer();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('a 404 repeats the path only bounded and plain', () => {
  it.each(['/nope', '/password/nope', '/docs/nope'])('%s: no control characters or markup, at most 100 characters of it', async (prefix) => {
    const response = await fetch(`${server.url}${prefix}%0D%0AX-Injected:%201%3Cscript%3Ealert(1)%3C/script%3E${'a'.repeat(5000)}`);
    expect(response.status).toBe(404);
    const { message } = (await response.json()) as { message: string };
    // Printable ASCII (and the ellipsis of a cut path) only: nothing decoded, no markup.
    expect(message).toMatch(/^[ -~…]*$/);
    expect(message).not.toMatch(/[<>]/);
    expect(message).toContain(`No route for GET ${prefix}`);
    expect(message.length).toBeLessThan(140);
  });

  it('a plain path reads as it was sent', async () => {
    const response = await fetch(`${server.url}/password/nope`);
    expect(await response.json()).toEqual({ message: 'No route for GET /password/nope.', code: 404, type: 'not_found' });
  });
});

/** A raw answer: what came back on a socket until the server closed it. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes no HTTP client would, and reads the answer until the server closes the connection. */
function rawExchange(request: string): Promise<RawAnswer & { received: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n'), received });
    });
  });
}

describe('requests Node’s HTTP parser refuses', () => {
  it.each([
    ['a bad method token', 'GE(T /health HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request'],
    ['a method Node does not know', 'BREW /health HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request'],
    ['a control character in the path', 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'invalid_request'],
    ['HTTP/1.1 without Host', 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'invalid_request'],
    ['an invalid Host', 'GET /health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n', 400, 'invalid_request'],
    [
      'Content-Length with Transfer-Encoding',
      'POST /password/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'invalid_request',
    ],
    ['headers over 16 KiB', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
  ])('%s: the kit’s error shape', async (_, request, status, type) => {
    const answer = await rawExchange(request);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['connection']).toBe('close');
    const body = JSON.parse(answer.body) as unknown;
    expect(body).toEqual({ message: expect.any(String), code: status, type });
  });

  it('writes nothing into a connection whose earlier response is still open: it only closes it', async () => {
    const answer = await rawExchange('GET /gated/wait HTTP/1.1\r\nHost: x\r\n\r\nGE(T /health HTTP/1.1\r\nHost: x\r\n\r\n');
    openGate();
    expect(answer.received).toBe('');
  });

  it('HTTP/1.0 without Host is still served, as HTTP/1.0 allows', async () => {
    const answer = await rawExchange('GET /health HTTP/1.0\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
  });

  it('a connection that timed out before its headers came gets 408 request_timeout', () => {
    expect(clientErrorAnswer(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' })).toJSON()).toMatchObject({ code: 408, type: 'request_timeout' });
    expect(clientErrorAnswer(Object.assign(new Error('overflow'), { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' })).toJSON()).toMatchObject({ code: 413, type: 'payload_too_large' });
  });
});
