/**
 * A key Appwrite refuses is the function's misconfiguration, not an outage: the password function
 * on the Appwrite entry answers 502 `appwrite_error` (a 503 would tell clients to retry what can
 * never work) and its error log names what to fix. Over real HTTP against the embedded double,
 * with the per-execution key lacking scopes or unknown to the project.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { invokeOpenRuntimes, type RuntimeResult } from '../helpers/open-runtimes.js';

const PROJECT_ID = 'kit-refusals';
const FULL_KEY = 'ephemeral_full-key';
/** The scopes of a function that forgot the rate-limit table's. */
const USERS_ONLY_KEY = 'ephemeral_users-only-key';
const UNKNOWN_KEY = 'ephemeral_unknown-key';
const PASSWORD = 'correct horse battery staple';

let server: ServerType;
let entry: AppwriteEntry;

beforeAll(async () => {
  const { app } = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: {
      [FULL_KEY]: ['users.read', 'users.write', 'rows.read', 'rows.write'],
      [USERS_ONLY_KEY]: ['users.read', 'users.write'],
    },
    passwordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  entry = createAppwriteEntry(passwordFunction, { env: { APPWRITE_FUNCTION_API_ENDPOINT: endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID } });
});
afterAll(() => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))));

const document = openApiDocument([passwordFunction], { mounted: false });

async function post(path: string, key: string): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': '203.0.113.7', 'x-appwrite-key': key },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  });
  expect(result.failed).toBe(false);
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) for (const one of [value].flat()) headers.append(name, one);
  await expectDocumentedAnswer(document, 'POST', path, { status: result.statusCode, headers, body: result.text() });
  const logged = [...result.logs, ...result.errors].join('\n');
  expect(logged).not.toContain(key);
  expect(logged).not.toContain(PASSWORD);
  return result;
}

const refused = { message: 'Appwrite refused the request. See the function logs.', code: 502, type: 'appwrite_error' };

describe('a key Appwrite refuses', () => {
  it('without rows.read and rows.write: 502 appwrite_error, and the log names the scopes the function needs', async () => {
    for (const path of ['/login', '/register']) {
      const result = await post(path, USERS_ONLY_KEY);
      expect(result.statusCode).toBe(502);
      expect(result.json()).toEqual(refused);
      const line = result.errors.find((entry) => entry.startsWith('appwrite_rejected_request'));
      expect(line).toBe(
        'appwrite_rejected_request operation="tablesDB.createRow" status=401 appwriteType="general_unauthorized_scope" ' +
          'hint="the function needs rows.read and rows.write (scopes in appwrite.json, or those of APPWRITE_API_KEY)"',
      );
    }
  });

  it('unknown to the project: 502 appwrite_error, and the log says the key is refused', async () => {
    const result = await post('/login', UNKNOWN_KEY);
    expect(result.statusCode).toBe(502);
    expect(result.json()).toEqual(refused);
    expect(result.errors.join('\n')).toMatch(/^appwrite_rejected_request operation="tablesDB\.createRow" status=401 appwriteType="user_unauthorized" hint="[^"]+"$/m);
  });

  it('with every scope, the same requests are answered normally', async () => {
    expect((await post('/login', FULL_KEY)).statusCode).toBe(401);
    expect((await post('/register', FULL_KEY)).statusCode).toBe(201);
  });
});
