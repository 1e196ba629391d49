/**
 * The verifier against a local issuer: tokens that must pass do, for each kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { oidcPort, type OidcVerifier } from '../../shared/oidc/index.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { createTestPlatform } from '../helpers/platform.js';

let issuer: OidcIssuer;
let verifier: OidcVerifier;

beforeAll(async () => {
  issuer = await startOidcIssuer();
  verifier = oidcPort.create(createTestPlatform({ env: issuer.env() }).runtime);
});
afterAll(() => issuer.close());

describe('oidc verifier', () => {
  it('accepts an access token', async () => {
    const claims = await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect(claims).toMatchObject({ iss: issuer.url, sub: 'auth0|alice' });
  });
  it('accepts an ID token', async () => {
    const claims = await verifier.verify(await issuer.sign(issuer.idClaims({ nonce: 'n-1' })), 'id', { nonce: 'n-1' });
    expect(claims.email).toBe('alice@example.com');
  });
  it('accepts a logout token', async () => {
    const claims = await verifier.verify(await issuer.sign(issuer.logoutClaims(), { header: { typ: 'logout+jwt' } }), 'logout');
    expect(claims.sid).toBe('session-1');
  });
  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ iat: now - 100, exp: now - 50 })), 'access')).rejects.toMatchObject({ type: 'invalid_token', status: 401, message: 'The token has expired.' });
  });
  it('refuses a token without a kid when several of the issuer\'s keys fit it: the key is ambiguous, never guessed', async () => {
    const twoKeys = await startOidcIssuer();
    try {
      await twoKeys.addKey('RS256');
      const lines: string[] = [];
      const ambiguous = oidcPort.create(createTestPlatform({ env: twoKeys.env(), logger: createLogger((line) => lines.push(line)) }).runtime);
      const token = await twoKeys.sign(twoKeys.accessClaims(), { header: { kid: undefined } });
      await expect(ambiguous.verify(token, 'access')).rejects.toMatchObject({ type: 'invalid_token', status: 401, message: "The token's signing key is ambiguous." });
      expect(lines).toEqual(['oidc_token_refused kind="access" reason="ambiguous_key" alg="RS256"']);
    } finally {
      await twoKeys.close();
    }
  });
});
