import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Account, AppwriteException, Client } from 'appwrite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { freshBrowser } from '../helpers/browser.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { invokeOpenRuntimes, type RawRequest, type RuntimeResult } from '../helpers/open-runtimes.js';

// The password function as Appwrite runs it: open-runtimes context in, Appwrite reached through
// APPWRITE_FUNCTION_API_ENDPOINT with the per-execution key from `x-appwrite-key`, and the token
// exchanged by the real web SDK. The embedded double stands in for Appwrite.

const PROJECT_ID = 'kit-appwrite-runtime';
const FUNCTION_KEY = 'ephemeral_function-key-for-tests';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'another long passphrase';

let server: ServerType;
let endpoint: string;
let entry: AppwriteEntry;
// Every line any execution logged, checked for secrets at the end.
const collected: string[] = [];

beforeAll(async () => {
  const { app } = createDevAppwrite({
    projectId: PROJECT_ID,
    // The function's scopes in appwrite.json: users for the accounts, rows for the rate-limit counters.
    apiKeys: { [FUNCTION_KEY]: ['users.read', 'users.write', 'rows.read', 'rows.write'] },
    passwordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  entry = createAppwriteEntry(passwordFunction, {
    env: { APPWRITE_FUNCTION_API_ENDPOINT: endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID },
  });
});

afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

/** The headers Appwrite's executor puts on a function-domain request. */
function appwriteHeaders(key: string | null = FUNCTION_KEY): Record<string, string> {
  return {
    host: 'password.functions.example.test',
    'x-forwarded-proto': 'https',
    'content-type': 'application/json',
    'x-appwrite-trigger': 'http',
    'x-appwrite-user-id': '',
    'x-appwrite-execution-id': 'exec-1',
    'x-appwrite-client-ip': '203.0.113.7',
    ...(key === null ? {} : { 'x-appwrite-key': key }),
  };
}

// The function's own document, paths at the root as its Appwrite function serves them.
const document = openApiDocument([passwordFunction], { mounted: false });

async function call(target: AppwriteEntry, request: RawRequest): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(target, request);
  collected.push(...result.logs, ...result.errors);
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  // Every answer must be one the document promises, on the wire as the runtime sends it.
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) for (const one of [value].flat()) headers.append(name, one);
  await expectDocumentedAnswer(document, request.method ?? 'GET', request.url ?? '/', { status: result.statusCode, headers, body: result.text() });
  return result;
}

function post(path: string, body: unknown, options: { target?: AppwriteEntry; key?: string | null } = {}) {
  return call(options.target ?? entry, {
    method: 'POST',
    url: path,
    headers: appwriteHeaders(options.key === undefined ? FUNCTION_KEY : options.key),
    body: JSON.stringify(body),
  });
}

/** A web SDK client with its own empty browser storage, where the SDK keeps its session. */
function browserClient(): Account {
  freshBrowser();
  return new Account(new Client().setEndpoint(endpoint).setProject(PROJECT_ID));
}

describe('password function on the Appwrite runtime', () => {
  let userId: string;
  let secret: string;

  it('registers a user (201)', async () => {
    const result = await post('/register', { username: 'Alice', password: PASSWORD });
    expect(result.statusCode).toBe(201);
    expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(result.headers['cache-control']).toBe('no-store');
    userId = (result.json() as { userId: string }).userId;
    expect(userId).toMatch(/^pw-[0-9a-f]{33}$/);
  });

  it('refuses a taken username (409)', async () => {
    const result = await post('/register', { username: 'alice', password: PASSWORD });
    expect(result.statusCode).toBe(409);
    expect(result.json()).toMatchObject({ code: 409, type: 'username_taken' });
  });

  it('logs in (200) with a token secret', async () => {
    const result = await post('/login', { username: 'alice', password: PASSWORD });
    expect(result.statusCode).toBe(200);
    const body = result.json() as { userId: string; secret: string; expire: string };
    expect(Object.keys(body).sort()).toEqual(['expire', 'secret', 'userId']);
    expect(body.userId).toBe(userId);
    expect(body.secret.length).toBe(64);
    expect(Number.isNaN(Date.parse(body.expire))).toBe(false);
    secret = body.secret;
  });

  it('the web SDK exchanges the secret for a session of that user, once', async () => {
    const account = browserClient();
    await account.createSession({ userId, secret });
    expect((await account.get()).$id).toBe(userId);

    const again = await browserClient()
      .createSession({ userId, secret })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(again).toBeInstanceOf(AppwriteException);
    expect((again as AppwriteException).code).toBe(401);
  });

  it('answers an unknown user and a wrong password with byte-identical 401s', async () => {
    const unknown = await post('/login', { username: 'nobody-here', password: PASSWORD });
    const wrong = await post('/login', { username: 'alice', password: 'not the password at all' });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.body.equals(wrong.body)).toBe(true);
    expect(unknown.headers).toEqual(wrong.headers);
    expect(unknown.json()).toEqual({ message: 'Invalid username or password.', code: 401, type: 'invalid_credentials' });
  });

  it('changes the password (204) and ends the sessions', async () => {
    const account = browserClient();
    const login = (await post('/login', { username: 'alice', password: PASSWORD })).json() as { secret: string };
    await account.createSession({ userId, secret: login.secret });

    const change = await post('/change', { username: 'alice', currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(change.statusCode).toBe(204);
    expect(change.body.length).toBe(0);

    await expect(account.get()).rejects.toMatchObject({ code: 401 });
    expect((await post('/login', { username: 'alice', password: PASSWORD })).statusCode).toBe(401);
    expect((await post('/login', { username: 'alice', password: NEW_PASSWORD })).statusCode).toBe(200);
  });

  it('uses APPWRITE_API_KEY when Appwrite sends no x-appwrite-key', async () => {
    const target = createAppwriteEntry(passwordFunction, {
      env: { APPWRITE_FUNCTION_API_ENDPOINT: endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: FUNCTION_KEY },
    });
    const result = await post('/login', { username: 'alice', password: NEW_PASSWORD }, { target, key: null });
    expect(result.statusCode).toBe(200);
  });

  it('prefers the per-execution key over APPWRITE_API_KEY', async () => {
    const target = createAppwriteEntry(passwordFunction, {
      env: { APPWRITE_FUNCTION_API_ENDPOINT: endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: 'stale-key' },
    });
    expect((await post('/login', { username: 'alice', password: NEW_PASSWORD }, { target })).statusCode).toBe(200);

    const rejected = await post('/login', { username: 'alice', password: NEW_PASSWORD }, { target, key: 'ephemeral_revoked' });
    // The first Appwrite call (the rate limiter's, or the users lookup) is refused with the stale key.
    expect([502, 503]).toContain(rejected.statusCode);
    expect(['appwrite_error', 'rate_limiter_unavailable']).toContain((rejected.json() as { type: string }).type);
    expect(rejected.errors.join('\n')).toMatch(/status=401/);
  });

  it('never logs a password, a token secret or the key', () => {
    expect(collected.length).toBeGreaterThan(0);
    const logged = collected.join('\n');
    for (const forbidden of [PASSWORD, NEW_PASSWORD, 'not the password at all', secret, FUNCTION_KEY, 'stale-key', 'ephemeral_revoked']) {
      expect(logged).not.toContain(forbidden);
    }
    expect(logged).toContain('login_succeeded');
  });
});
