/**
 * shared/http.ts `createFunctionApp` and `jsonBody`, over real HTTP on loopback: which bodies count
 * as JSON, how large one may be, what a refused body or method is told, and the headers every
 * answer carries.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createFunctionApp, formBody, jsonBody, type FunctionAppOptions } from '../shared/http.js';
import { silentLogger } from '../shared/log.js';

const servers: ServerType[] = [];

/** Serves an app with an echo route on loopback and answers its base URL. */
async function start(options: Omit<FunctionAppOptions, 'logger'> = {}): Promise<string> {
  const app = createFunctionApp({ logger: silentLogger, ...options });
  app.post('/echo', jsonBody(z.object({ name: z.string().max(2000), age: z.number().optional() })), (c) => c.json(c.req.valid('json')));
  app.get('/echo', (c) => c.json({ ok: true }));
  app.post('/maybe', jsonBody(z.object({ token: z.string().optional() }), { optional: true }), (c) => c.json(c.req.valid('json')));
  app.post('/form', formBody(z.object({ logout_token: z.string() })), (c) => c.json(c.req.valid('form')));
  app.get('/status-error', () => {
    // Not Hono's HTTPException: its status and message are not to be trusted or shown.
    throw Object.assign(new Error('db password is hunter2'), { status: 400 });
  });
  const server = serve({ fetch: (request) => app.fetch(request, { clientIp: '127.0.0.1' }), hostname: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let url: string;
let small: string;
let unlimited: string;
// Built for each test, not once per file: what createFunctionApp sets up then counts as run by the
// test (mutation testing attributes a beforeAll's work to no test at all).
beforeEach(async () => {
  url = await start();
  small = await start({ maxBodyBytes: 20, corsOrigins: null });
  unlimited = await start({ maxBodyBytes: null });
});
afterEach(() => Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve())))));

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

  it('reads the media type up to its parameters, whitespace around it ignored', async () => {
    expect((await post(url, '{"name":"Ann"}', 'application/json ; charset=utf-8')).status).toBe(200);
  });

  it('refuses a request with no body and no Content-Type when the body is required', async () => {
    const response = await fetch(`${url}/echo`, { method: 'POST' });
    expect(response.status).toBe(415);
  });
});

describe('jsonBody: an optional body', () => {
  const maybe = (init: RequestInit) => fetch(`${url}/maybe`, { method: 'POST', ...init });

  it('may be left out entirely: no Content-Type and nothing sent reads as {}', async () => {
    const response = await maybe({});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it('sent as JSON, is read', async () => {
    expect(await (await maybe({ body: '{"token":"t"}', headers: { 'content-type': 'application/json' } })).json()).toEqual({ token: 't' });
  });

  it('sent as anything else is still 415, even empty, even without a type', async () => {
    expect((await maybe({ body: 'token=t', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await maybe({ body: '', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const untyped = new Request(`${url}/maybe`, { method: 'POST', body: 'token=t' });
    untyped.headers.delete('content-type');
    expect((await fetch(untyped)).status).toBe(415);
  });
});

describe('formBody', () => {
  const form = (body: string, type = 'application/x-www-form-urlencoded') => fetch(`${url}/form`, { method: 'POST', body, headers: { 'content-type': type } });

  it('reads a form, whatever the case of its media type', async () => {
    expect(await (await form('logout_token=abc')).json()).toEqual({ logout_token: 'abc' });
    expect(await (await form('logout_token=abc', 'Application/X-WWW-Form-Urlencoded; charset=utf-8')).json()).toEqual({ logout_token: 'abc' });
  });

  it('refuses another media type with 415 saying what to send', async () => {
    expect(await (await form('{"logout_token":"abc"}', 'application/json')).json()).toEqual({
      code: 415,
      type: 'unsupported_media_type',
      message: 'Send the body as a form with Content-Type: application/x-www-form-urlencoded.',
    });
  });

  it('refuses a form that fails its schema, naming the field', async () => {
    expect(await (await form('other=1')).json()).toEqual({ code: 400, type: 'invalid_request', message: 'Invalid request: logout_token is required.' });
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

  it('lists every field at fault, separated by semicolons', async () => {
    const response = await post(url, '{"age":"ten"}');
    expect(await response.json()).toEqual({ code: 400, type: 'invalid_request', message: 'Invalid request: name is required; age must be a number.' });
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

  it('a 404 repeats a path of 100 characters whole, and cuts a longer one at 100 with an ellipsis', async () => {
    const hundred = `/${'a'.repeat(99)}`;
    expect((await (await fetch(`${url}${hundred}`)).json()).message).toBe(`No route for GET ${hundred}.`);
    expect((await (await fetch(`${url}${hundred}b`)).json()).message).toBe(`No route for GET ${hundred}….`);
  });

  it('an error that only carries a status, not Hono’s own, is a bare 500 that shows nothing of it', async () => {
    const response = await fetch(`${url}/status-error`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ code: 500, type: 'internal_error', message: 'Something went wrong. Try again later.' });
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
