/**
 * The redirect flow end to end over loopback: `/login` → the local issuer's login form →
 * `/callback` → the success URL, whose `userId` and `secret` open a session with the web SDK on
 * the embedded Appwrite. Redirects are followed by hand and cookies carried in a jar, as a browser
 * would. Then every way the flow must refuse: a wrong state, no or a tampered cookie, an expired
 * one, an injected code (PKCE), a wrong nonce, a cancelled login, URLs off the allowlist, a replayed
 * callback or code. One manual clock drives the function, the issuer and Appwrite.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userIdForOidcSubject } from '../../shared/sign-in/user-id.js';
import {
  APP_ORIGIN,
  CookieJar,
  FAILURE_URL,
  followCallback,
  openSession,
  PROJECT_ID,
  ROLES_CLAIM,
  startAuth0Harness,
  SUCCESS_URL,
  throughIssuer,
  type Auth0Harness,
} from './helpers.js';

let harness: Auth0Harness;
beforeAll(async () => {
  harness = await startAuth0Harness();
});
afterAll(() => harness.close());
beforeEach(() => {
  harness.dev.reset();
  harness.configure();
});

/** Where a 302 went, split into the page and its query. */
function landing(response: Response): { page: string; params: URLSearchParams } {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location')!);
  return { page: `${location.origin}${location.pathname}`, params: location.searchParams };
}

/** Expects a redirect to the failure page with this error type, and no token minted anywhere. */
function expectFailure(response: Response, type: string): void {
  const { page, params } = landing(response);
  expect(page).toBe(FAILURE_URL);
  expect([...params.keys()]).toEqual(['error']);
  expect(params.get('error')).toBe(type);
  expect(harness.dev.store.tokens.size).toBe(0);
}

const tokenCount = () => harness.dev.store.tokens.size;

describe('the redirect flow', () => {
  it('signs in through the issuer’s login: success gets userId and secret that open a session; the user has the roles as labels', async () => {
    harness.issuer.setUserClaims('alice', { [ROLES_CLAIM]: ['admin'] });
    const jar = new CookieJar();
    const { authorizeUrl, callbackUrl } = await throughIssuer(harness, jar, 'alice');

    // The authorization request: code flow, this client, the callback, the scope, state, nonce, PKCE S256, the audience.
    const params = authorizeUrl.searchParams;
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${harness.issuer.url}authorize`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(harness.issuer.clientId);
    expect(params.get('redirect_uri')).toBe(`${harness.url}/callback`);
    expect(params.get('scope')).toBe('openid profile email');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('audience')).toBe(harness.issuer.audience);
    // The cookie: HttpOnly, SameSite=Lax, short-lived; not Secure on this http://127.0.0.1 callback.
    expect(jar.setCookies).toHaveLength(1);
    expect(jar.setCookies[0]).toMatch(/^auth0-flow=[^;]+; Max-Age=900; Path=\/; HttpOnly; SameSite=Lax$/);
    // Nothing of the flow is readable in it.
    const cookieValue = jar.cookies.get('auth0-flow')!;
    for (const secret of [params.get('state')!, params.get('nonce')!, 'signed-in']) expect(decodeURIComponent(cookieValue)).not.toContain(secret);

    const callback = await followCallback(harness, jar, callbackUrl);
    const { page, params: landed } = landing(callback);
    expect(page).toBe(SUCCESS_URL);
    expect([...landed.keys()].sort()).toEqual(['secret', 'userId']);
    expect(callback.headers.get('cache-control')).toBe('no-store');
    expect(callback.headers.get('referrer-policy')).toBe('no-referrer');
    // The flow is over: the cookie is removed.
    expect(jar.cookies.size).toBe(0);

    const userId = await userIdForOidcSubject(harness.issuer.url, 'auth0|alice');
    expect(landed.get('userId')).toBe(userId);
    const { user } = await openSession(harness.dev.endpoint, PROJECT_ID, userId, landed.get('secret')!);
    expect(user).toMatchObject({ $id: userId, name: 'alice', email: 'alice@example.com', labels: ['auth0admin'] });
  });

  it('sets a __Host-, Secure cookie when the callback is https', async () => {
    harness.configure({ AUTH0_CALLBACK_URL: 'https://kit.example.test/auth0/callback' });
    const jar = new CookieJar();
    const { authorizeUrl, callbackUrl } = await throughIssuer(harness, jar, 'bob');
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe('https://kit.example.test/auth0/callback');
    expect(jar.setCookies[0]).toMatch(/^__Host-auth0-flow=[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/);

    // The issuer sent the browser to the registered URL; this harness serves it here.
    const { page } = landing(await followCallback(harness, jar, callbackUrl));
    expect(page).toBe(SUCCESS_URL);
    expect(jar.setCookies.at(-1)).toMatch(/^__Host-auth0-flow=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('keeps the success URL’s own query parameters', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'carol', { success: `${SUCCESS_URL}?next=%2Finbox` });
    const { params } = landing(await followCallback(harness, jar, callbackUrl));
    expect(params.get('next')).toBe('/inbox');
    expect(params.get('secret')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the redirect flow refuses', () => {
  it('a callback whose state is not the cookie’s: failure?error=flow_invalid, and nothing of the flow is spent', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'alice');
    const cookie = jar.cookies.get('auth0-flow')!;
    const withCookie = () => {
      const copy = new CookieJar();
      copy.cookies.set('auth0-flow', cookie);
      return copy;
    };
    const state = callbackUrl.searchParams.get('state')!;
    for (const forgedState of [`${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`, '', null]) {
      const forged = new URL(callbackUrl);
      if (forgedState === null) forged.searchParams.delete('state');
      else forged.searchParams.set('state', forgedState);
      expectFailure(await followCallback(harness, withCookie(), forged), 'flow_invalid');
    }
    expect(harness.lines.filter((line) => line.includes('flow_refused reason="state_mismatch"'))).toHaveLength(3);
    // The code was never taken to the issuer, nor the flow marked used: the genuine callback still works.
    expect(landing(await followCallback(harness, withCookie(), callbackUrl)).page).toBe(SUCCESS_URL);
  });

  it('a callback without the cookie, or with a tampered one: 400 flow_invalid, never a redirect', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'alice');

    const bare = await followCallback(harness, new CookieJar(), callbackUrl);
    expect(bare.status).toBe(400);
    expect(bare.headers.get('location')).toBeNull();
    expect(await bare.json()).toMatchObject({ code: 400, type: 'flow_invalid' });

    const value = jar.cookies.get('auth0-flow')!;
    const middle = Math.floor(value.length / 2);
    const flipped = `${value.slice(0, middle)}${value[middle] === 'A' ? 'B' : 'A'}${value.slice(middle + 1)}`;
    const tampered = new CookieJar();
    tampered.cookies.set('auth0-flow', flipped);
    const answer = await followCallback(harness, tampered, callbackUrl);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ type: 'flow_invalid' });
    // The answer removes the bad cookie.
    expect(answer.headers.getSetCookie()).toEqual(['auth0-flow=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax']);

    // A cookie sealed with another deployment's key is no flow of this one.
    harness.configure({ AUTH0_COOKIE_SECRET: 'another-deployment-cookie-secret-of-32-bytes' });
    expect((await followCallback(harness, jar, callbackUrl)).status).toBe(400);
    expect(tokenCount()).toBe(0);
  });

  it('a flow older than 10 minutes: failure?error=flow_expired', async () => {
    const jar = new CookieJar();
    const login = await harness.request('get', `/login?${new URLSearchParams({ success: SUCCESS_URL, failure: FAILURE_URL })}`);
    jar.take(login);
    harness.dev.clock.advance(10 * 60_000 + 1_000);
    // The user finally logs in, in a fresh flow at the issuer but with the old cookie.
    const fresh = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, fresh, 'alice');
    const stale = new URL(callbackUrl);
    expectFailure(await followCallback(harness, jar, stale), 'flow_expired');
  });

  it('an authorization code from another flow (code injection): the PKCE verifier does not fit, failure?error=authorization_failed', async () => {
    // The attacker's code, from their own flow ...
    const { callbackUrl: attackers } = await throughIssuer(harness, new CookieJar(), 'mallory');
    // ... injected into the victim's callback, with the victim's own state and cookie.
    const victim = new CookieJar();
    const { callbackUrl: victims } = await throughIssuer(harness, victim, 'alice');
    const injected = new URL(victims);
    injected.searchParams.set('code', attackers.searchParams.get('code')!);
    expectFailure(await followCallback(harness, victim, injected), 'authorization_failed');
    expect(harness.lines.some((line) => line.includes('token_endpoint_refused status=403 error="invalid_grant"'))).toBe(true);
  });

  it('an ID token whose nonce is not the flow’s: failure?error=invalid_token', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'alice', { beforeLogin: (fields) => fields.set('nonce', 'a-nonce-of-the-attackers-choosing') });
    expectFailure(await followCallback(harness, jar, callbackUrl), 'invalid_token');
    expect(harness.lines.some((line) => line.includes('reason="wrong_nonce"'))).toBe(true);
  });

  it('a login the user cancelled at the issuer: failure?error=authorization_denied', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'deny');
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expectFailure(await followCallback(harness, jar, callbackUrl), 'authorization_denied');
  });

  it('success or failure URLs off the allowlist: 400 at /login, no cookie, no redirect', async () => {
    const off = [
      'https://evil.test/steal',
      'https://app.example.com.evil.test/',
      'https://app.example.com@evil.test/',
      'http://app.example.com/',
      'https://app.example.com:8443/',
      '//evil.test/',
      '/relative',
      'javascript:alert(1)',
      `${APP_ORIGIN}/page#fragment`,
      `${APP_ORIGIN}/${'x'.repeat(1100)}`,
    ];
    for (const url of off) {
      for (const query of [{ success: url, failure: FAILURE_URL }, { success: SUCCESS_URL, failure: url }]) {
        const answer = await harness.request('get', `/login?${new URLSearchParams(query)}`);
        expect(answer.status, url).toBe(400);
        expect(answer.headers.get('location'), url).toBeNull();
        expect(answer.headers.getSetCookie()).toEqual([]);
        expect(((await answer.json()) as { type: string }).type, url).toBe(url.length > 1024 ? 'invalid_request' : 'redirect_not_allowed');
      }
    }
    // Missing either is a 400 too.
    expect((await harness.request('get', `/login?success=${encodeURIComponent(SUCCESS_URL)}`)).status).toBe(400);
  });

  it('a replayed callback: the same URL and cookie a second time is failure?error=flow_invalid, and the used code at a new flow is refused by the issuer', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'alice');
    const saved = jar.cookies.get('auth0-flow')!;
    expect(landing(await followCallback(harness, jar, callbackUrl)).page).toBe(SUCCESS_URL);
    const issued = tokenCount();

    const replay = new CookieJar();
    replay.cookies.set('auth0-flow', saved);
    const again = await followCallback(harness, replay, callbackUrl);
    expect(landing(again).params.get('error')).toBe('flow_invalid');
    expect(harness.lines.some((line) => line.includes('flow_refused reason="replayed"'))).toBe(true);

    // The code in a fresh flow of the same browser: the issuer has spent it.
    const fresh = new CookieJar();
    const login = await harness.request('get', `/login?${new URLSearchParams({ success: SUCCESS_URL, failure: FAILURE_URL })}`);
    fresh.take(login);
    const reused = new URL(callbackUrl);
    reused.searchParams.set('state', new URL(login.headers.get('location')!).searchParams.get('state')!);
    expect(landing(await followCallback(harness, fresh, reused)).params.get('error')).toBe('authorization_failed');
    expect(tokenCount()).toBe(issued);
  });

  it('a blocked user: failure?error=user_blocked', async () => {
    const userId = await userIdForOidcSubject(harness.issuer.url, 'auth0|blocked');
    await harness.dev.users().create({ userId });
    await harness.dev.users().updateStatus({ userId, status: false });
    const jar = new CookieJar();
    const { callbackUrl } = await throughIssuer(harness, jar, 'blocked');
    expectFailure(await followCallback(harness, jar, callbackUrl), 'user_blocked');
  });

  it('while the flow is off (no AUTH0_CALLBACK_URL): 403 redirect_flow_disabled on both routes', async () => {
    harness.configure({ AUTH0_CALLBACK_URL: undefined, AUTH0_CLIENT_SECRET: undefined, AUTH0_COOKIE_SECRET: undefined, AUTH0_REDIRECT_ORIGINS: undefined });
    const login = await harness.request('get', `/login?${new URLSearchParams({ success: SUCCESS_URL, failure: FAILURE_URL })}`);
    expect(login.status).toBe(403);
    expect(await login.json()).toMatchObject({ type: 'redirect_flow_disabled' });
    expect((await harness.request('get', '/callback?code=x&state=y')).status).toBe(403);
  });
});
