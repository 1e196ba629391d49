/**
 * The auth0 function as Appwrite runs it: the open-runtimes context in (the fake of its Node
 * runtime), Appwrite reached through APPWRITE_FUNCTION_API_ENDPOINT with a per-execution key of
 * exactly its appwrite.json scopes, limits and replay records in the Appwrite tables, and the local
 * OIDC issuer on loopback. The embedded double stands in for Appwrite; the web SDK opens sessions.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth0Function } from '../../functions/auth0/index.js';
import { createDevAppwrite, type DevAppwriteStore } from '../../shared/dev-appwrite/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { userIdForOidcSubject } from '../../shared/sign-in/user-id.js';
import { invokeOpenRuntimes, type RawRequest, type RuntimeResult } from '../helpers/open-runtimes.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { expectNoSecretIn } from '../sign-in/helpers.js';
import { APP_ORIGIN, COOKIE_SECRET, FAILURE_URL, openSession, ROLES_CLAIM, SUCCESS_URL } from './helpers.js';

const PROJECT_ID = 'kit-auth0-appwrite';
const FUNCTION_KEY = 'ephemeral_auth0-function-key';
/** The function's own domain on Appwrite, as its callback URL says. */
const FUNCTION_HOST = 'auth0.functions.example.test';

let server: ServerType;
let store: DevAppwriteStore;
let endpoint: string;
let issuer: OidcIssuer;
let entry: AppwriteEntry;
const collected: string[] = [];
const secrets: string[] = [];

beforeAll(async () => {
  const dev = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [FUNCTION_KEY]: [...auth0Function.appwriteScopes] } });
  store = dev.store;
  server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  issuer = await startOidcIssuer();
  entry = createAppwriteEntry(auth0Function, {
    env: {
      APPWRITE_FUNCTION_API_ENDPOINT: endpoint,
      APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID,
      ...issuer.env(),
      AUTH0_ROLES_CLAIM: ROLES_CLAIM,
      AUTH0_CALLBACK_URL: `https://${FUNCTION_HOST}/callback`,
      AUTH0_CLIENT_SECRET: issuer.clientSecret,
      AUTH0_COOKIE_SECRET: COOKIE_SECRET,
      AUTH0_REDIRECT_ORIGINS: APP_ORIGIN,
    },
  });
});
afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await issuer.close();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  expectNoSecretIn(collected, secrets);
});

// The function's own document, paths at the root as its Appwrite function serves them.
const document = openApiDocument([auth0Function], { mounted: false });

async function invoke(raw: RawRequest & { method: string; url: string }): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(entry, {
    ...raw,
    headers: {
      host: FUNCTION_HOST,
      'x-forwarded-proto': 'https',
      'x-appwrite-trigger': 'http',
      'x-appwrite-client-ip': '203.0.113.7',
      'x-appwrite-key': FUNCTION_KEY,
      ...raw.headers,
    },
  });
  collected.push(...result.logs, ...result.errors);
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) for (const one of [value].flat()) headers.append(name, one);
  await expectDocumentedAnswer(document, raw.method, raw.url, { status: result.statusCode, headers, body: result.text() });
  return result;
}

describe('auth0 function on the Appwrite runtime', () => {
  it('exchanges an access token for a secret that opens a session; the roles become labels', async () => {
    const token = await issuer.sign(issuer.accessClaims({ sub: 'auth0|alice', name: 'Alice', [ROLES_CLAIM]: ['admin'] }));
    const result = await invoke({ method: 'POST', url: '/exchange', headers: { authorization: `Bearer ${token}` } });

    expect(result.statusCode).toBe(200);
    const { userId, secret } = result.json() as { userId: string; secret: string };
    secrets.push(secret);
    expect(userId).toBe(await userIdForOidcSubject(issuer.url, 'auth0|alice'));
    const { user } = await openSession(endpoint, PROJECT_ID, userId, secret);
    expect(user).toMatchObject({ $id: userId, name: 'Alice', labels: ['auth0admin'] });
  });

  it('runs the redirect flow through the adapter: the cookie goes out on /login and comes back to /callback', async () => {
    const login = await invoke({ method: 'GET', url: `/login?${new URLSearchParams({ success: SUCCESS_URL, failure: FAILURE_URL })}` });
    expect(login.statusCode).toBe(302);
    const [cookie] = [login.headers['set-cookie']].flat();
    expect(cookie).toMatch(/^__Host-auth0-flow=[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const authorize = new URL(String(login.headers['location']));
    expect(authorize.searchParams.get('redirect_uri')).toBe(`https://${FUNCTION_HOST}/callback`);

    // The issuer's login, as the browser would post its form.
    const posted = await fetch(new URL('/authorize', authorize), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), username: 'bob' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(posted.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(`https://${FUNCTION_HOST}/callback`);

    const callback = await invoke({ method: 'GET', url: `/callback${back.search}`, headers: { cookie: cookie!.split(';')[0]! } });
    expect(callback.statusCode).toBe(302);
    const landed = new URL(String(callback.headers['location']));
    expect(`${landed.origin}${landed.pathname}`).toBe(SUCCESS_URL);
    secrets.push(landed.searchParams.get('secret')!);
    expect([callback.headers['set-cookie']].flat()).toEqual(['__Host-auth0-flow=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax']);
    const { user } = await openSession(endpoint, PROJECT_ID, landed.searchParams.get('userId')!, landed.searchParams.get('secret')!);
    expect(user.$id).toBe(await userIdForOidcSubject(issuer.url, 'auth0|bob'));
  });

  // Every execution builds its own services: only the Appwrite table can remember the jti from one to the next.
  it('deletes the user’s sessions on a back-channel logout, and refuses its replay in a later execution', async () => {
    const userId = await userIdForOidcSubject(issuer.url, 'auth0|alice');
    expect(store.sessionsOf(userId).length).toBeGreaterThan(0);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams({ logout_token: await issuer.sign(issuer.logoutClaims({ sub: 'auth0|alice' })) }).toString();

    const done = await invoke({ method: 'POST', url: '/backchannel-logout', headers: form, body });
    expect(done.statusCode).toBe(200);
    expect(done.headers['cache-control']).toBe('no-store');
    expect(store.sessionsOf(userId)).toEqual([]);

    const replay = await invoke({ method: 'POST', url: '/backchannel-logout', headers: form, body });
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toMatchObject({ type: 'logout_token_invalid' });
  });
});
