// The auth0 function inside workerd, in a Worker built from the function list with the bindings of
// .dev.vars.example plus the local OIDC issuer global-setup starts: its JWKS fetched through the
// fetch port from inside workerd, the user created in npm start's embedded Appwrite, the secret
// exchanged with the `appwrite` web SDK, the logout token's jti kept by the ONCE_STORE Durable Object;
// and the redirect flow, its cookie sealed and opened with Web Crypto in workerd.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Account, AppwriteException, Client } from 'appwrite';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { stubBrowserStorage } from './browser-storage.js';
import { auth0Function } from '../../functions/auth0/index.js';
import { createWorker } from '../../shared/runtime/workers.js';

const worker = createWorker([auth0Function]);
const oidc = inject('oidc');
const ROLES_CLAIM = 'https://kit.example/roles';
const auth0Env = {
  ...env,
  ...oidc.env,
  AUTH0_ROLES_CLAIM: ROLES_CLAIM,
  // The redirect flow, with this Worker's own callback and the issuer's test client.
  AUTH0_CALLBACK_URL: 'https://kit.test/auth0/callback',
  AUTH0_CLIENT_SECRET: oidc.clientSecret,
  AUTH0_COOKIE_SECRET: 'workerd-test-cookie-secret-of-at-least-32-bytes',
  AUTH0_REDIRECT_ORIGINS: 'https://app.example.com',
};

async function call(path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://kit.test${path}`, init), auth0Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function mint(kind: 'access' | 'logout', claims: Record<string, unknown>): Promise<string> {
  return (await fetch(oidc.mintUrl, { method: 'POST', body: JSON.stringify({ kind, claims }) })).text();
}

afterEach(() => vi.unstubAllGlobals());

describe('auth0 function in workerd', () => {
  const sub = `auth0|worker-${Date.now().toString(36)}`;

  it('exchanges an access token for a secret that opens a session; the roles are labels; a back-channel logout ends it, once', async () => {
    const response = await call('/auth0/exchange', {
      method: 'POST',
      headers: { authorization: `Bearer ${await mint('access', { sub, name: 'Worker', [ROLES_CLAIM]: ['admin'] })}`, 'cf-connecting-ip': '203.0.113.80' },
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { userId, secret } = JSON.parse(text) as { userId: string; secret: string };
    expect(userId).toMatch(/^oidc-[0-9a-f]{31}$/);

    stubBrowserStorage();
    const account = new Account(new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId')));
    await account.createSession({ userId, secret });
    expect(await account.get()).toMatchObject({ $id: userId, name: 'Worker', labels: ['auth0admin'] });

    const form = { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '203.0.113.81' };
    const body = new URLSearchParams({ logout_token: await mint('logout', { sub }) }).toString();
    expect((await call('/auth0/backchannel-logout', { method: 'POST', headers: form, body })).status).toBe(200);
    await expect(account.get()).rejects.toBeInstanceOf(AppwriteException);
    const replay = await call('/auth0/backchannel-logout', { method: 'POST', headers: form, body });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ type: 'logout_token_invalid' });
  });

  it('runs the redirect flow: /login to the issuer’s login form, /callback to the success URL with a secret that opens a session', async () => {
    const login = await call(`/auth0/login?${new URLSearchParams({ success: 'https://app.example.com/in', failure: 'https://app.example.com/out' })}`, {
      headers: { 'cf-connecting-ip': '203.0.113.83' },
      redirect: 'manual',
    });
    expect(login.status, await login.clone().text()).toBe(302);
    const cookie = login.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^__Host-auth0-flow=[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const authorize = new URL(login.headers.get('location')!);
    const posted = await fetch(new URL('/authorize', authorize), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), username: 'workerd' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(posted.headers.get('location')!);
    const callback = await call(`/auth0/callback${back.search}`, { headers: { cookie: cookie.split(';')[0]!, 'cf-connecting-ip': '203.0.113.83' }, redirect: 'manual' });
    expect(callback.status, await callback.clone().text()).toBe(302);
    const landed = new URL(callback.headers.get('location')!);
    expect(`${landed.origin}${landed.pathname}`).toBe('https://app.example.com/in');

    stubBrowserStorage();
    const account = new Account(new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId')));
    await account.createSession({ userId: landed.searchParams.get('userId')!, secret: landed.searchParams.get('secret')! });
    expect((await account.get()).email).toBe('workerd@example.com');
  });

  it('refuses a token for another audience with 401 invalid_token', async () => {
    const response = await call('/auth0/exchange', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.82' },
      body: JSON.stringify({ token: await mint('access', { sub, aud: 'https://elsewhere.test/' }) }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'invalid_token' });
  });
});
