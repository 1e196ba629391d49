/**
 * `POST /backchannel-logout` (OpenID Connect Back-Channel Logout 1.0) over loopback: a logout token
 * from the local issuer deletes every Appwrite session of its user, which the web SDK then sees
 * gone; a replayed token, one with only `sid`, one that is no logout token, and a body that is not
 * a form are refused with 400 (the spec's status) in the kit's error shape.
 */
import { AppwriteException } from 'appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userIdForOidcSubject } from '../../shared/sign-in/user-id.js';
import { openSession, PROJECT_ID, startAuth0Harness, type Auth0Harness } from './helpers.js';

let harness: Auth0Harness;
beforeAll(async () => {
  harness = await startAuth0Harness();
});
afterAll(() => harness.close());
beforeEach(() => {
  harness.dev.reset();
  harness.configure();
});

const logout = (token: string) =>
  harness.request('post', '/backchannel-logout', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });

/** Signs `sub` in twice (two browsers) through `/exchange`; answers the user ID and both accounts. */
async function twoSessions(sub: string) {
  const accounts = [];
  for (let browser = 0; browser < 2; browser++) {
    const answer = await harness.request('post', '/exchange', { headers: { authorization: `Bearer ${await harness.issuer.sign(harness.issuer.accessClaims({ sub }))}` } });
    const { userId, secret } = (await answer.json()) as { userId: string; secret: string };
    accounts.push((await openSession(harness.dev.endpoint, PROJECT_ID, userId, secret)).account);
  }
  const userId = await userIdForOidcSubject(harness.issuer.url, sub);
  expect(harness.dev.store.sessionsOf(userId)).toHaveLength(2);
  return { userId, accounts };
}

async function expectRefused(response: Response, message?: RegExp): Promise<void> {
  expect(response.status).toBe(400);
  const body = (await response.json()) as { type: string; message: string };
  expect(body.type).toBe('logout_token_invalid');
  if (message) expect(body.message).toMatch(message);
}

describe('POST /backchannel-logout', () => {
  it('deletes every session of the token’s user: 200, not cached, and the signed-in browsers are signed out', async () => {
    const { userId, accounts } = await twoSessions('auth0|alice');
    const response = await logout(await harness.issuer.sign(harness.issuer.logoutClaims({ sub: 'auth0|alice' })));

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('');
    expect(harness.dev.store.sessionsOf(userId)).toEqual([]);
    for (const account of accounts) await expect(account.get()).rejects.toBeInstanceOf(AppwriteException);
    expect(harness.lines).toContain(`backchannel_logout userId="${userId}"`);
  });

  it('touches no other user, and answers 200 for a subject that never signed in here', async () => {
    const { userId } = await twoSessions('auth0|bob');
    expect((await logout(await harness.issuer.sign(harness.issuer.logoutClaims({ sub: 'auth0|nobody' })))).status).toBe(200);
    expect(harness.dev.store.sessionsOf(userId)).toHaveLength(2);
  });

  it('refuses a replayed logout token (same jti) with 400, within its lifetime', async () => {
    const token = await harness.issuer.sign(harness.issuer.logoutClaims({ sub: 'auth0|carol' }));
    expect((await logout(token)).status).toBe(200);
    const { userId } = await twoSessions('auth0|carol');
    await expectRefused(await logout(token), /already used/);
    // The replay ended nothing.
    expect(harness.dev.store.sessionsOf(userId)).toHaveLength(2);
  });

  it('refuses a token with only sid (this function needs sub), one without a jti or the logout event, and an access token', async () => {
    const { userId } = await twoSessions('auth0|dave');
    const refused = [
      harness.issuer.logoutClaims({ sub: undefined, sid: 'session-of-dave' }),
      harness.issuer.logoutClaims({ sub: 'auth0|dave', jti: undefined }),
      harness.issuer.logoutClaims({ sub: 'auth0|dave', events: undefined }),
      harness.issuer.logoutClaims({ sub: 'auth0|dave', nonce: 'n' }),
      harness.issuer.accessClaims({ sub: 'auth0|dave' }),
    ];
    for (const claims of refused) await expectRefused(await logout(await harness.issuer.sign(claims)));
    await expectRefused(await logout('not-a-jwt'));
    expect(harness.dev.store.sessionsOf(userId)).toHaveLength(2);
  });

  it('takes the token only as a form field: JSON is 415, a missing field 400 invalid_request', async () => {
    const token = await harness.issuer.sign(harness.issuer.logoutClaims({ sub: 'auth0|erin' }));
    const json = await harness.request('post', '/backchannel-logout', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logout_token: token }) });
    expect(json.status).toBe(415);
    const missing = await harness.request('post', '/backchannel-logout', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ type: 'invalid_request' });
    // Neither spent the token.
    expect((await logout(token)).status).toBe(200);
  });
});
