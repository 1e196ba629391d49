import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import type { EnvSource } from '../../shared/config.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { invokeOpenRuntimes, type RawRequest, type RuntimeResult } from '../helpers/open-runtimes.js';

// How the password function fails on the Appwrite runtime: always the kit's JSON error, never a
// throw (open-runtimes would answer an empty 500 and print the stack), never an internal detail.

const KEY = 'ephemeral_key-that-must-never-be-logged';
const PASSWORD = 'correct horse battery staple';

let closedPortEndpoint: string;
let hangingServer: Server;
let hangingEndpoint: string;

beforeAll(async () => {
  // A port nothing listens on: bind one, then close it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPortEndpoint = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/v1`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  // An Appwrite that accepts the connection and never answers.
  hangingServer = createServer(() => {});
  await new Promise<void>((resolve) => hangingServer.listen(0, '127.0.0.1', resolve));
  hangingEndpoint = `http://127.0.0.1:${(hangingServer.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  hangingServer.closeAllConnections();
  await new Promise<void>((resolve) => hangingServer.close(() => resolve()));
});

function validEnv(overrides: EnvSource = {}): EnvSource {
  return { APPWRITE_FUNCTION_API_ENDPOINT: closedPortEndpoint, APPWRITE_FUNCTION_PROJECT_ID: 'kit', ...overrides };
}

async function run(env: EnvSource, request: Partial<RawRequest> = {}, key: string | null = KEY): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(createAppwriteEntry(passwordFunction, { env }), {
    method: 'POST',
    url: '/login',
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    ...request,
    headers: {
      'content-type': 'application/json',
      'x-appwrite-client-ip': '203.0.113.7',
      ...(key === null ? {} : { 'x-appwrite-key': key }),
      ...request.headers,
    },
  });
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  const logged = [...result.logs, ...result.errors].join('\n');
  expect(logged).not.toContain(PASSWORD);
  expect(logged).not.toContain(KEY);
  expect(logged).not.toMatch(/\n\s+at /);
  return result;
}

const configInvalidBody = { message: 'The function is not configured correctly. See its logs.', code: 500, type: 'config_invalid' };

describe('configuration', () => {
  it('answers 500 config_invalid and names every missing variable in the error log', async () => {
    const result = await run({});
    expect(result.statusCode).toBe(500);
    expect(result.json()).toEqual(configInvalidBody);
    const line = result.errors.find((entry) => entry.startsWith('config_invalid'));
    expect(line).toBeDefined();
    expect(line).toContain('APPWRITE_FUNCTION_API_ENDPOINT is required');
    expect(line).toContain('APPWRITE_FUNCTION_PROJECT_ID is required');
    expect(line).not.toContain('APPWRITE_API_KEY');
  });

  it('names an invalid variable but never its value', async () => {
    const result = await run(validEnv({ APPWRITE_FUNCTION_API_ENDPOINT: 'ftp://secret-host.invalid/v1' }));
    expect(result.json()).toEqual(configInvalidBody);
    const logged = result.errors.join('\n');
    expect(logged).toContain('APPWRITE_FUNCTION_API_ENDPOINT');
    expect(logged).not.toContain('secret-host');
  });

  it('explains a missing key: no x-appwrite-key (no scopes) and no APPWRITE_API_KEY', async () => {
    const result = await run(validEnv(), {}, null);
    expect(result.json()).toEqual(configInvalidBody);
    const logged = result.errors.join('\n');
    expect(logged).toContain('APPWRITE_API_KEY is required');
    expect(logged).toContain('scopes');
  });

  it("reports the function's own invalid variables the same way", async () => {
    const result = await run(validEnv({ PASSWORD_TOKEN_EXPIRE: '7777777' }));
    expect(result.statusCode).toBe(500);
    expect(result.json()).toEqual(configInvalidBody);
    const logged = result.errors.join('\n');
    expect(logged).toContain('PASSWORD_TOKEN_EXPIRE');
    expect(logged).not.toContain('7777777');
  });

  it('rejects an unusable argon2 concurrency', async () => {
    const result = await run(validEnv({ ARGON2_MAX_CONCURRENCY: '0' }));
    expect(result.json()).toEqual(configInvalidBody);
    expect(result.errors.join('\n')).toContain('ARGON2_MAX_CONCURRENCY');
  });
});

describe('requests', () => {
  it('answers malformed JSON with 400 invalid_request', async () => {
    const result = await run(validEnv(), { body: '{"username": "alice", "password":' });
    expect(result.statusCode).toBe(400);
    expect(result.json()).toMatchObject({ code: 400, type: 'invalid_request' });
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const result = await run(validEnv(), { method: 'GET', body: '' });
    expect(result.statusCode).toBe(405);
    expect(result.json()).toMatchObject({ code: 405, type: 'method_not_allowed' });
    expect(result.headers['allow']).toBe('POST');
  });

  it('answers an unknown path with 404, at the root and under the function name', async () => {
    for (const url of ['/nope', '/password/login']) {
      const result = await run(validEnv(), { url });
      expect(result.statusCode).toBe(404);
      expect(result.json()).toMatchObject({ code: 404, type: 'not_found' });
    }
  });

  it('answers a body over 16 KiB with 413', async () => {
    const body = JSON.stringify({ username: 'alice', password: 'x'.repeat(16 * 1024) });
    const result = await run(validEnv(), { body });
    expect(result.statusCode).toBe(413);
    expect(result.json()).toMatchObject({ code: 413, type: 'payload_too_large' });
  });
});

describe('Appwrite failures', () => {
  function expectUnavailable(result: RuntimeResult): void {
    expect(result.statusCode).toBe(503);
    const body = result.json() as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'type']);
    expect(body['code']).toBe(503);
    expect(['appwrite_unavailable', 'rate_limiter_unavailable']).toContain(body['type']);
    expect(result.text()).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|fetch failed|timeout|\bat /i);
  }

  it('answers 503 with no internals when Appwrite is unreachable', async () => {
    for (const url of ['/login', '/register']) {
      const result = await run(validEnv(), { url });
      expectUnavailable(result);
      expect(result.errors.join('\n')).toMatch(/unreachable/);
    }
  });

  it('answers 503 when Appwrite does not answer within APPWRITE_TIMEOUT_MS', async () => {
    const started = Date.now();
    const result = await run(validEnv({ APPWRITE_FUNCTION_API_ENDPOINT: hangingEndpoint, APPWRITE_TIMEOUT_MS: '200' }));
    expectUnavailable(result);
    expect(result.errors.join('\n')).toMatch(/timeout/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 503 itself when the whole execution outlives REQUEST_TIMEOUT_MS, before the runtime kills it', async () => {
    const started = Date.now();
    const result = await run(
      validEnv({ APPWRITE_FUNCTION_API_ENDPOINT: hangingEndpoint, APPWRITE_TIMEOUT_MS: '10000', REQUEST_TIMEOUT_MS: '300' }),
    );
    expectUnavailable(result);
    expect(result.errors.join('\n')).toMatch(/request_timeout timeoutMs=300/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
