/**
 * shared/http.ts `toErrorResponse`: what a route's thrown error becomes, over real HTTP on loopback.
 * Configuration problems are 500 `config_invalid` in the kit's shape and logged with the variables;
 * Hono's own exceptions keep their meaning (413, 400); anything else is a bare 500 that says nothing.
 */
import { serve, type ServerType } from '@hono/node-server';
import { HTTPException } from 'hono/http-exception';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/config.js';
import { createFunctionApp } from '../shared/http.js';
import { createLogger } from '../shared/log.js';

const problems: string[] = [];
const infos: string[] = [];
let server: ServerType;
let url: string;

beforeAll(async () => {
  const app = createFunctionApp({ logger: createLogger((line) => infos.push(line), (line) => problems.push(line)) });
  app.get('/config', () => {
    throw new ConfigError(['LOGIN_RATE_LIMIT_IP: rule 1: limit must be between 1 and 1000000', 'APPWRITE_API_KEY is required']);
  });
  app.get('/too-large', () => {
    throw new HTTPException(413);
  });
  app.get('/bad', () => {
    throw new HTTPException(400, { message: 'Malformed JSON in request body' });
  });
  app.get('/bad-silent', () => {
    throw new HTTPException(400);
  });
  app.get('/teapot', () => {
    throw new HTTPException(418, { message: 'short and stout' });
  });
  app.get('/unknown', () => {
    throw new TypeError('secret-ish detail: token=abc123');
  });
  server = serve({ fetch: (request) => app.fetch(request, { clientIp: '198.51.100.7' }), hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  problems.length = 0;
  infos.length = 0;
});

const get = (path: string) => fetch(`${url}${path}`);

describe('errors thrown inside a route', () => {
  it('a ConfigError answers 500 config_invalid in the kit shape, naming no variable, and logs the variables', async () => {
    const response = await get('/config');
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ message: 'The function is not configured correctly. See its logs.', code: 500, type: 'config_invalid' });
    expect(problems).toEqual([
      'config_invalid problems="LOGIN_RATE_LIMIT_IP: rule 1: limit must be between 1 and 1000000; APPWRITE_API_KEY is required"',
    ]);
  });

  it('Hono’s HTTPException 413 answers 413 payload_too_large', async () => {
    const response = await get('/too-large');
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'The request body is too large.', code: 413, type: 'payload_too_large' });
  });

  it('Hono’s HTTPException 400 answers 400 invalid_request with its message, or a generic one', async () => {
    const response = await get('/bad');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'Malformed JSON in request body', code: 400, type: 'invalid_request' });
    expect(await (await get('/bad-silent')).json()).toEqual({ message: 'Bad request.', code: 400, type: 'invalid_request' });
  });

  it('any other error answers 500 internal_error with no detail, and logs only its kind and the route', async () => {
    for (const path of ['/unknown', '/teapot']) {
      const response = await get(path);
      expect(response.status, path).toBe(500);
      expect(await response.json(), path).toEqual({ message: 'Something went wrong. Try again later.', code: 500, type: 'internal_error' });
    }
    expect(problems).toEqual([
      'unhandled_error method="GET" path="/unknown" error="TypeError"',
      'unhandled_error method="GET" path="/teapot" error="Error"',
    ]);
    expect(problems.join('\n')).not.toMatch(/abc123|stout/);
  });
});
