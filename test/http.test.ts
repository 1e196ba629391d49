/**
 * shared/http.ts `createFunctionApp` and `jsonBody`, over real HTTP on loopback: which bodies count
 * as JSON, how large one may be, what a refused body or method is told, and the headers every
 * answer carries.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createFunctionApp, jsonBody, type FunctionAppOptions } from '../shared/http.js';
import { silentLogger } from '../shared/log.js';

const servers: ServerType[] = [];

/** Serves an app with an echo route on loopback and answers its base URL. */
async function start(options: Omit<FunctionAppOptions, 'logger'> = {}): Promise<string> {
  const app = createFunctionApp({ logger: silentLogger, ...options });
  app.post('/echo', jsonBody(z.object({ name: z.string().max(2000) })), (c) => c.json(c.req.valid('json')));
  app.get('/echo', (c) => c.json({ ok: true }));
  const server = serve({ fetch: (request) => app.fetch(request, { clientIp: '127.0.0.1' }), hostname: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let url: string;
let small: string;
let unlimited: string;
beforeAll(async () => {
  url = await start();
  small = await start({ maxBodyBytes: 20, corsOrigins: null });
  unlimited = await start({ maxBodyBytes: null });
});
afterAll(() => Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))));

const post = (base: string, body: string, contentType: string | null = 'application/json') =>
  fetch(`${base}/echo`, { method: 'POST', body, headers: contentType === null ? {} : { 'content-type': contentType } });

describe('jsonBody: what counts as JSON', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.kit+json', 'application/problem+json'])(
    'accepts Content-Type %s',
    async (type) => {
      const response = await post(url, '{"name":"Ann"}', type);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: 'Ann' });
    },
  );

  it.each(['text/plain', 'application/jsonx', 'text/json', 'xapplication/json', 'application/x-www-form-urlencoded', 'application/+json'])(
    'refuses Content-Type %s with 415 unsupported_media_type',
    async (type) => {
      const response = await post(url, '{"name":"Ann"}', type);
      expect(response.status).toBe(415);
      expect(await response.json()).toEqual({ code: 415, type: 'unsupported_media_type', message: 'Send the body as JSON with Content-Type: application/json.' });
    },
  );

  it('refuses a body without a Content-Type when the body is required, even an empty one', async () => {
    expect((await post(url, '', null)).status).toBe(415);
  });
});

describe('jsonBody: what a refused body is told', () => {
  it('malformed JSON is 400 invalid_request', async () => {
    const response = await post(url, '{"name":', 'application/json');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 400, type: 'invalid_request' });
  });

  it('a schema failure names the field and the rule, never the value', async () => {
    const missing = await post(url, '{}');
    expect(await missing.json()).toEqual({ code: 400, type: 'invalid_request', message: 'Invalid request: name is required.' });
    const wrongType = await post(url, '{"name":12345}');
    expect(await wrongType.json()).toEqual({ code: 400, type: 'invalid_request', message: 'Invalid request: name must be a string.' });
  });

  it('text that is not well-formed UTF-16 is refused before the schema, naming the field', async () => {
    const response = await post(url, '{"name":"Ann \\ud800"}');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: 400,
      type: 'invalid_request',
      message: 'Invalid request: name: must be well-formed Unicode text (no lone surrogate).',
    });
  });
});

describe('createFunctionApp: the body limit', () => {
  it('16 KiB by default: a body of exactly 16384 bytes is read, one more byte is 413 naming the limit', async () => {
    const fits = `{"name":"${'a'.repeat(16 * 1024 - 11)}"}`;
    expect(fits.length).toBe(16 * 1024);
    // The schema refuses the long name, which shows the body was read and not refused for its size.
    expect((await post(url, fits)).status).toBe(400);
    const response = await post(url, `${fits} `);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ code: 413, type: 'payload_too_large', message: 'The request body is larger than 16384 bytes.' });
  });

  it('a function’s own limit applies, and null sets none', async () => {
    expect((await post(small, '{"name":"012345678"}')).status).toBe(200);
    expect(await (await post(small, '{"name":"0123456789"}')).json()).toMatchObject({ code: 413, message: 'The request body is larger than 20 bytes.' });
    expect((await post(unlimited, `{"name":"${'a'.repeat(1999)}"}        ${' '.repeat(20_000)}`)).status).toBe(200);
  });
});

describe('createFunctionApp: methods, CORS and headers', () => {
  it('a known path with another method is 405 naming the allowed ones, in Allow too', async () => {
    const response = await fetch(`${url}/echo`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, GET, HEAD');
    expect(await response.json()).toEqual({ code: 405, type: 'method_not_allowed', message: 'DELETE is not allowed here. Use POST, GET, HEAD.' });
  });

  it('an unknown path is 404 naming the method and path', async () => {
    expect(await (await fetch(`${url}/nope`)).json()).toEqual({ code: 404, type: 'not_found', message: 'No route for GET /nope.' });
  });

  it('every answer, success or error, is no-store and nosniff', async () => {
    for (const response of [await fetch(`${url}/echo`), await fetch(`${url}/nope`), await post(url, '{}')]) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('answers CORS for any origin by default, and not at all with corsOrigins null', async () => {
    const headers = { origin: 'https://app.example.com' };
    expect((await fetch(`${url}/echo`, { headers })).headers.get('access-control-allow-origin')).toBe('*');
    expect((await fetch(`${small}/echo`, { headers })).headers.get('access-control-allow-origin')).toBeNull();
  });
});
