/**
 * The local issuer itself (test/helpers/oidc-issuer.ts): its login step and token endpoint enforce
 * what a real one does, so the redirect flow's negative cases are refused by the issuer for the
 * right reason and not by accident.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcPort, type OidcVerifier } from '../../shared/oidc/index.js';
import { manualClock } from '../helpers/clock.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { createTestPlatform } from '../helpers/platform.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 12));
const redirectUri = 'http://127.0.0.1:9/auth0/callback';
let issuer: OidcIssuer;
let verifier: OidcVerifier;

beforeAll(async () => {
  issuer = await startOidcIssuer({ clock });
  verifier = oidcPort.create(createTestPlatform({ env: issuer.env(), clock }).runtime);
});
afterAll(() => issuer.close());

/** The browser's part: the login form, submitted with a username; returns where the issuer redirects. */
async function logIn(params: Record<string, string>, username = 'alice'): Promise<URL> {
  const query = new URLSearchParams({ response_type: 'code', client_id: issuer.clientId, redirect_uri: redirectUri, scope: 'openid profile email', ...params });
  const form = await fetch(`${issuer.url}authorize?${query}`);
  expect(form.status).toBe(200);
  const html = await form.text();
  expect(html).toContain('<form method="post" action="/authorize">');
  const fields = new URLSearchParams([...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((match) => [match[1]!, match[2]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))]));
  fields.set('username', username);
  const answer = await fetch(`${issuer.url}authorize`, { method: 'POST', body: fields, redirect: 'manual' });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location')!);
}

async function exchange(fields: Record<string, string>, basic?: string): Promise<Response> {
  return fetch(`${issuer.url}oauth/token`, {
    method: 'POST',
    headers: basic ? { authorization: `Basic ${basic}` } : {},
    body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: redirectUri, client_id: issuer.clientId, client_secret: issuer.clientSecret, ...fields }),
  });
}

const pkce = () => {
  const verifierValue = randomBytes(32).toString('base64url');
  return { verifier: verifierValue, challenge: createHash('sha256').update(verifierValue).digest('base64url') };
};

describe('local OIDC issuer', () => {
  it('logs in with state, nonce and PKCE S256, and issues an ID token and an access token the verifier accepts', async () => {
    const { verifier: codeVerifier, challenge } = pkce();
    const back = await logIn({ state: 'st-1', nonce: 'no-1', code_challenge: challenge, code_challenge_method: 'S256', audience: issuer.audience });
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('st-1');
    issuer.setUserClaims('alice', { 'https://kit.example/roles': ['admin'] });
    const answer = await exchange({ code: back.searchParams.get('code')!, code_verifier: codeVerifier });
    expect(answer.status).toBe(200);
    const tokens = (await answer.json()) as { id_token: string; access_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');
    await expect(verifier.verify(tokens.id_token, 'id', { nonce: 'no-1' })).resolves.toMatchObject({ sub: 'auth0|alice', email_verified: true, 'https://kit.example/roles': ['admin'] });
    await expect(verifier.verify(tokens.access_token, 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
  });

  it('takes the client credentials as HTTP Basic too', async () => {
    const back = await logIn({ state: 's' });
    const basic = Buffer.from(`${issuer.clientId}:${issuer.clientSecret}`).toString('base64');
    expect((await exchange({ code: back.searchParams.get('code')!, client_secret: '' }, basic)).status).toBe(200);
  });

  it('redirects with error=access_denied and the state when the user denies', async () => {
    const back = await logIn({ state: 'st-2' }, 'deny');
    expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'access_denied', state: 'st-2' });
    expect(back.searchParams.has('code')).toBe(false);
  });

  it('refuses a wrong code_verifier, a missing one, a wrong redirect_uri, a wrong secret, a reused or expired code', async () => {
    const { verifier: codeVerifier, challenge } = pkce();
    const withPkce = async () => (await logIn({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    const refusal = async (response: Response) => [response.status, ((await response.json()) as { error: string }).error];

    expect(await refusal(await exchange({ code: await withPkce(), code_verifier: pkce().verifier }))).toEqual([403, 'invalid_grant']);
    expect(await refusal(await exchange({ code: await withPkce() }))).toEqual([403, 'invalid_grant']);
    expect(await refusal(await exchange({ code: await withPkce(), code_verifier: codeVerifier, redirect_uri: 'http://127.0.0.1:9/other' }))).toEqual([403, 'invalid_grant']);
    expect(await refusal(await exchange({ code: await withPkce(), code_verifier: codeVerifier, client_secret: 'wrong' }))).toEqual([401, 'access_denied']);

    const code = await withPkce();
    expect((await exchange({ code, code_verifier: codeVerifier })).status).toBe(200);
    expect(await refusal(await exchange({ code, code_verifier: codeVerifier }))).toEqual([403, 'invalid_grant']);

    const late = await withPkce();
    clock.advance(61_000);
    expect(await refusal(await exchange({ code: late, code_verifier: codeVerifier }))).toEqual([403, 'invalid_grant']);
    clock.reset();
  });

  it('refuses an authorization request with PKCE plain, an unknown client or no openid scope', async () => {
    const base = { response_type: 'code', client_id: issuer.clientId, redirect_uri: redirectUri, scope: 'openid' };
    for (const params of [
      { ...base, code_challenge: 'abc', code_challenge_method: 'plain' },
      { ...base, client_id: 'someone-else' },
      { ...base, scope: 'profile' },
    ]) {
      expect((await fetch(`${issuer.url}authorize?${new URLSearchParams(params)}`)).status).toBe(400);
    }
  });

  it('publishes discovery pointing at its endpoints', async () => {
    const document = (await (await fetch(`${issuer.url}.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(document).toMatchObject({ issuer: issuer.url, jwks_uri: issuer.jwksUrl, token_endpoint: `${issuer.url}oauth/token`, code_challenge_methods_supported: ['S256'] });
  });
});
