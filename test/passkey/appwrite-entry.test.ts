/**
 * The passkey function as Appwrite runs it: the open-runtimes context in (the fake of its Node
 * runtime), Appwrite reached through APPWRITE_FUNCTION_API_ENDPOINT with a per-execution key of
 * exactly the function's scopes, challenges burnt and passkeys kept in the Appwrite tables. The
 * embedded double stands in for Appwrite; the web SDK opens the session and makes the JWT.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Account, Client } from 'appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import passkeyFunction from '../../functions/passkey/index.js';
import { createDevAppwrite, kitTables } from '../../shared/dev-appwrite/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { freshBrowser } from '../helpers/browser.js';
import { invokeOpenRuntimes } from '../helpers/open-runtimes.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { expectNoSecretIn } from '../sign-in/helpers.js';
import { createSoftAuthenticator } from './authenticator.js';

const PROJECT_ID = 'kit-passkey-appwrite';
const FUNCTION_KEY = 'ephemeral_passkey-function-key';
const ORIGIN = 'https://app.example.test';

let server: ServerType;
let endpoint: string;
let entry: AppwriteEntry;
const collected: string[] = [];
const secrets: string[] = [];

beforeAll(async () => {
  const dev = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: { [FUNCTION_KEY]: [...passkeyFunction.appwriteScopes] },
    tables: { ...kitTables, tables: [...kitTables.tables, ...(passkeyFunction.appwriteTables)] },
  });
  server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  entry = createAppwriteEntry(passkeyFunction, {
    env: {
      APPWRITE_FUNCTION_API_ENDPOINT: endpoint,
      APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID,
      PASSKEY_RP_ID: 'example.test',
      PASSKEY_RP_NAME: 'Example',
      PASSKEY_ORIGINS: ORIGIN,
      PASSKEY_CHALLENGE_SECRET: 'appwrite-entry-challenge-secret-0123456789',
    },
  });
});
afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  expectNoSecretIn(collected, secrets);
});
beforeEach(() => freshBrowser());

const document = openApiDocument([passkeyFunction], { mounted: false });

async function post(url: string, body: unknown) {
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-appwrite-trigger': 'http', 'x-appwrite-client-ip': '203.0.113.7', 'x-appwrite-key': FUNCTION_KEY },
    body: JSON.stringify(body),
  });
  collected.push(...result.logs, ...result.errors);
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) for (const one of [value].flat()) headers.append(name, one);
  await expectDocumentedAnswer(document, 'post', url, { status: result.statusCode, headers, body: result.text() });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, each test checks the fields it reads
  return { status: result.statusCode, body: (result.statusCode === 204 ? null : result.json()) as Record<string, any> };
}

describe('passkey function on Appwrite Functions (open-runtimes entry)', () => {
  it('signs up, signs in username-first, opens a session, lists with a JWT; a replay is refused', async () => {
    const authenticator = createSoftAuthenticator({ origin: ORIGIN });
    const signUp = await post('/sign-up/verify', { response: authenticator.create((await post('/sign-up/options', { username: 'dana' })).body as never) });
    expect(signUp.status).toBe(200);
    secrets.push(signUp.body.secret);

    const options = await post('/sign-in/options', { username: 'dana' });
    const signIn = await post('/sign-in/verify', { response: authenticator.get(options.body as never) });
    expect(signIn).toMatchObject({ status: 200, body: { userId: signUp.body.userId } });
    secrets.push(signIn.body.secret);
    expect(await post('/sign-in/verify', { response: authenticator.get(options.body as never) })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });

    const account = new Account(new Client().setEndpoint(endpoint).setProject(PROJECT_ID));
    await account.createSession({ userId: signIn.body.userId, secret: signIn.body.secret });
    const { jwt } = await account.createJWT();
    secrets.push(jwt);
    const list = await post('/passkeys/list', { jwt });
    expect(list.body.passkeys).toHaveLength(1);
    expect((await post('/passkeys/delete', { jwt, credentialId: list.body.passkeys[0].credentialId })).status).toBe(204);
    expect((await post('/passkeys/list', { jwt })).body.passkeys).toEqual([]);
  });
});
