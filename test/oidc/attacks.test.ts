/**
 * The JWT attack catalogue (shared/reference/security-and-vendors.md §3) against the verifier, over
 * real HTTP to a local issuer: every forged, confused or stale token is refused with
 * `invalid_token` and a reason that says which check caught it, and header attacks cause no fetch.
 */
import { base64url, exportJWK, exportSPKI, generateKeyPair, importJWK, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { oidcPort, type OidcTokenKind, type OidcVerifier } from '../../shared/oidc/index.js';
import { manualClock } from '../helpers/clock.js';
import { forge, startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { createTestPlatform } from '../helpers/platform.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 12));
const now = () => Math.floor(clock.now() / 1000);
const logLines: string[] = [];
const encoder = new TextEncoder();

let issuer: OidcIssuer;
/** Another tenant with the same audience and client ID: its keys are valid, just not this deployment's. */
let otherIssuer: OidcIssuer;
/** Where an attacker would host a JWKS for `jku`/`x5u`. */
let attackerIssuer: OidcIssuer;
let verifier: OidcVerifier;
/** RS256 and ES256 allowed, for the ES256 vectors. */
let ecVerifier: OidcVerifier;
let rsaKid: string;
let ecKid: string;
let attacker: { privateKey: CryptoKey; publicKey: CryptoKey };

function verifierFor(env: Record<string, string>): OidcVerifier {
  return oidcPort.create(createTestPlatform({ env, clock, logger: createLogger((line) => logLines.push(line)) }).runtime);
}

/** The verification of `token` fails with invalid_token (and the reason, when given). */
async function expectRefused(token: string, kind: OidcTokenKind, reason: RegExp, on = verifier): Promise<void> {
  const outcome = await on.verify(token, kind).then(
    () => 'accepted',
    (thrown: unknown) => thrown,
  );
  expect(outcome).toMatchObject({ type: 'invalid_token', status: 401 });
  expect((outcome as Error).message).toMatch(reason);
}

/** `run` causes no JWKS fetch at either issuer. */
async function withoutFetches(run: () => Promise<void>): Promise<void> {
  const before = [issuer.jwksFetches, attackerIssuer.jwksFetches];
  await run();
  expect([issuer.jwksFetches, attackerIssuer.jwksFetches]).toEqual(before);
}

beforeAll(async () => {
  issuer = await startOidcIssuer({ clock });
  otherIssuer = await startOidcIssuer({ clock, audience: issuer.audience, clientId: issuer.clientId });
  attackerIssuer = await startOidcIssuer({ clock });
  rsaKid = issuer.currentKid;
  ecKid = await issuer.addKey('ES256', { current: false });
  verifier = verifierFor(issuer.env());
  ecVerifier = verifierFor(issuer.env({ AUTH0_ALGORITHMS: 'RS256,ES256' }));
  attacker = await generateKeyPair('RS256', { extractable: true });
  // The JWKS is cached from here on (and the cooldown running): header attacks must cause no fetch.
  await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
  await ecVerifier.verify(await issuer.sign(issuer.accessClaims(), { kid: ecKid }), 'access');
});
afterAll(async () => {
  await Promise.all([issuer.close(), otherIssuer.close(), attackerIssuer.close()]);
});

describe('the tokens the attacks start from', () => {
  it('are accepted: RS256, ES256 where allowed, an audience list holding the API, every kind', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access')).resolves.toMatchObject({ sub: 'auth0|alice', iss: issuer.url });
    await expect(ecVerifier.verify(await issuer.sign(issuer.accessClaims(), { kid: ecKid }), 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
    const withUserinfo = issuer.accessClaims({ aud: [issuer.audience, `${issuer.url}userinfo`] });
    await expect(verifier.verify(await issuer.sign(withUserinfo, { header: { typ: 'at+jwt' } }), 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
    await expect(verifier.verify(await issuer.sign(issuer.idClaims()), 'id')).resolves.toMatchObject({ email: 'alice@example.com' });
    await expect(verifier.verify(await issuer.sign(issuer.logoutClaims()), 'logout')).resolves.toMatchObject({ sid: 'session-1' });
  });
});

describe('algorithm attacks', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s (unsigned), before looking up any key', async (alg) => {
    await withoutFetches(async () => {
      await expectRefused(forge({ alg, typ: 'JWT' }, issuer.accessClaims()), 'access', /algorithm is not accepted/);
      await expectRefused(forge({ alg, typ: 'JWT', kid: rsaKid }, issuer.accessClaims()), 'access', /algorithm is not accepted/);
    });
  });

  it('refuses a token without alg, or with a null signature', async () => {
    await expectRefused(forge({ typ: 'JWT', kid: rsaKid }, issuer.accessClaims()), 'access', /malformed/);
    const [header, payload] = (await issuer.sign(issuer.accessClaims())).split('.');
    await expectRefused(`${header}.${payload}.`, 'access', /signature is invalid/);
  });

  it('refuses HS256 signed with the RSA public key (PEM, JWK and modulus bytes), with either allowlist', async () => {
    const publicJwk = issuer.publicJwk(rsaKid);
    const publicKey = (await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey;
    const secrets = [
      encoder.encode(await exportSPKI(publicKey)),
      encoder.encode(`${await exportSPKI(publicKey)}\n`),
      encoder.encode(JSON.stringify(publicJwk)),
      base64url.decode(publicJwk.n!),
    ];
    await withoutFetches(async () => {
      for (const secret of secrets) {
        const token = await issuer.sign(issuer.accessClaims(), { key: secret, header: { alg: 'HS256', kid: rsaKid } });
        await expectRefused(token, 'access', /algorithm is not accepted/);
        await expectRefused(token, 'access', /algorithm is not accepted/, ecVerifier);
      }
    });
  });

  it('refuses ES256 with an all-zero signature (CVE-2022-21449), and ES256 where only RS256 is allowed', async () => {
    const claims = issuer.accessClaims();
    await expectRefused(forge({ alg: 'ES256', typ: 'JWT', kid: ecKid }, claims, new Uint8Array(64)), 'access', /signature is invalid/, ecVerifier);
    // r = s = 0 spelt as DER, as Java's decoder took it.
    await expectRefused(forge({ alg: 'ES256', typ: 'JWT', kid: ecKid }, claims, Uint8Array.of(0x30, 6, 2, 1, 0, 2, 1, 0)), 'access', /signature is invalid/, ecVerifier);
    await expectRefused(await issuer.sign(claims, { kid: ecKid }), 'access', /algorithm is not accepted/);
  });

  it('refuses a token whose header alg does not fit the key its kid names', async () => {
    const token = await issuer.sign(issuer.accessClaims(), { kid: ecKid, header: { kid: rsaKid } });
    await expectRefused(token, 'access', /signature is invalid|signing key/, ecVerifier);
  });
});

describe('key attacks', () => {
  it('refuses an embedded jwk header, with the attacker kid or the real one', async () => {
    const jwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker' };
    await withoutFetches(async () => {
      for (const kid of ['attacker', rsaKid]) {
        const token = await issuer.sign(issuer.accessClaims(), { key: attacker.privateKey, header: { alg: 'RS256', kid, jwk } });
        await expectRefused(token, 'access', /names its own key/);
      }
    });
  });

  it.each(['jku', 'x5u'])('refuses a %s header pointing at an attacker JWKS, which is never fetched', async (header) => {
    const kid = attackerIssuer.currentKid;
    await withoutFetches(async () => {
      const token = await attackerIssuer.sign(issuer.accessClaims(), { header: { [header]: attackerIssuer.jwksUrl } });
      await expectRefused(token, 'access', /names its own key/);
      const withRealKid = await attackerIssuer.sign(issuer.accessClaims(), { header: { [header]: attackerIssuer.jwksUrl, kid: rsaKid }, kid });
      await expectRefused(withRealKid, 'access', /names its own key/);
    });
  });

  it('refuses an x5c header (a certificate chain chosen by the token)', async () => {
    const token = await attackerIssuer.sign(issuer.accessClaims(), { header: { x5c: ['MIIB'] } });
    await expectRefused(token, 'access', /names its own key/);
  });

  it('refuses an unknown kid', async () => {
    const token = await attackerIssuer.sign(issuer.accessClaims(), { header: { kid: 'not-a-key-of-the-issuer' } });
    await expectRefused(token, 'access', /signing key is not one of the issuer's/);
  });

  it.each([
    ['path traversal', '../../etc/passwd'],
    ['/dev/null', '/dev/null'],
    ['SQL', "' OR 1=1 --"],
    ['shell', '; sleep 10'],
  ])('compares a kid carrying %s as a string only', async (_name, kid) => {
    const token = await attackerIssuer.sign(issuer.accessClaims(), { header: { kid } });
    await expectRefused(token, 'access', /signing key is not one of the issuer's/);
    // HS-signed with an empty or guessable secret, as the kid attacks do.
    const hmac = await issuer.sign(issuer.accessClaims(), { key: encoder.encode('1'), header: { alg: 'HS256', kid } });
    await expectRefused(hmac, 'access', /algorithm is not accepted/);
  });

  it('looks a kid of up to 256 characters up in the JWKS, and refuses one of 257 as malformed', async () => {
    await expectRefused(await attackerIssuer.sign(issuer.accessClaims(), { header: { kid: 'k'.repeat(256) } }), 'access', /signing key is not one of the issuer's/);
    await expectRefused(await attackerIssuer.sign(issuer.accessClaims(), { header: { kid: 'k'.repeat(257) } }), 'access', /key ID is malformed/);
  });

  it('refuses a very long, an empty or a non-string kid without fetching', async () => {
    await withoutFetches(async () => {
      for (const kid of ['k'.repeat(10_000), '', 42, ['a']]) {
        const token = await issuer.sign(issuer.accessClaims(), { header: { kid } });
        await expectRefused(token, 'access', /key ID is malformed/);
      }
    });
  });

  it("refuses another issuer's valid key: its kid is unknown here, the real kid fails the signature, its own iss is the wrong issuer", async () => {
    await expectRefused(await otherIssuer.sign(issuer.accessClaims()), 'access', /signing key is not one of the issuer's/);
    await expectRefused(await otherIssuer.sign(issuer.accessClaims(), { header: { kid: rsaKid } }), 'access', /signature is invalid/);
    await expectRefused(await otherIssuer.sign(otherIssuer.accessClaims(), { header: { kid: rsaKid } }), 'access', /signature is invalid|another issuer/);
    const otherVerifier = verifierFor(otherIssuer.env());
    await expectRefused(await issuer.sign(issuer.accessClaims()), 'access', /another issuer|signing key/, otherVerifier);
  });

  it('refuses a tampered payload, and a payload swapped in from another valid token', async () => {
    const [header, , signature] = (await issuer.sign(issuer.accessClaims())).split('.');
    const tampered = base64url.encode(encoder.encode(JSON.stringify(issuer.accessClaims({ sub: 'auth0|mallory' }))));
    await expectRefused(`${header}.${tampered}.${signature}`, 'access', /signature is invalid/);
    const [, otherPayload] = (await issuer.sign(issuer.accessClaims({ sub: 'auth0|bob' }))).split('.');
    await expectRefused(`${header}.${otherPayload}.${signature}`, 'access', /signature is invalid/);
  });

  it('refuses a crit header, an unencoded payload (b64: false) and a malformed crit', async () => {
    await withoutFetches(async () => {
      const crit = await issuer.sign(issuer.accessClaims(), { header: { crit: ['urn:example:x'], 'urn:example:x': 1 }, crit: { 'urn:example:x': true } });
      await expectRefused(crit, 'access', /feature this service does not accept/);
      const critExp = await issuer.sign(issuer.accessClaims(), { header: { crit: ['exp'], exp: now() + 60 }, crit: { exp: true } });
      await expectRefused(critExp, 'access', /feature this service does not accept/);
      await expectRefused(forge({ alg: 'RS256', kid: rsaKid, crit: [] }, issuer.accessClaims(), 'AA'), 'access', /malformed/);
      // crit naming an extension jose knows (b64, encoded as usual): still a demand no issuer of ours makes.
      const critB64 = await issuer.sign(issuer.accessClaims(), { header: { crit: ['b64'], b64: true } });
      await expectRefused(critB64, 'access', /feature this service does not accept/);
    });
    // A valid unencoded-payload signature cannot be spelt compactly here (the claims hold dots): refused either way.
    const unencoded = forge({ alg: 'RS256', kid: rsaKid, b64: false, crit: ['b64'] }, issuer.accessClaims(), 'AA');
    await expectRefused(unencoded, 'access', /malformed|signature is invalid|feature this service does not accept/);
  });
});

describe('claim attacks', () => {
  it('refuses an expired token, a token not valid yet, and one issued in the future', async () => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() - 3600, exp: now() - 60 })), 'access', /^The token has expired\.$/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ nbf: now() + 120 })), 'access', /not valid yet/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() + 3600, exp: now() + 7200 })), 'access', /issued in the future/);
  });

  it('refuses a token without exp, iat or sub, and non-numeric dates', async () => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ exp: undefined })), 'access', /no "exp" claim/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: undefined })), 'access', /no "iat" claim/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ sub: undefined })), 'access', /no "sub" claim/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ exp: String(now() + 3600) })), 'access', /"exp" claim is malformed/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ nbf: String(now()) })), 'access', /"nbf" claim is malformed/);
  });

  it('refuses a token older than the maximum age although it has not expired', async () => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() - 86_400 - 6, exp: now() + 3600 })), 'access', /too old/);
  });

  it.each([
    ['without the trailing slash', () => issuer.url.replace(/\/$/, '')],
    ['with another scheme', () => issuer.url.replace('http:', 'https:')],
    ['with a path', () => `${issuer.url}tenant/`],
    ['in upper case', () => issuer.url.toUpperCase()],
    ['of another tenant', () => otherIssuer.url],
    ['as a list', () => [issuer.url]],
  ])('refuses an issuer %s', async (_name, iss) => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ iss: iss() })), 'access', /another issuer|"iss" claim/);
  });

  it('refuses a token without iss', async () => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ iss: undefined })), 'access', /no "iss" claim/);
  });

  it.each([
    ['the client ID', () => issuer.clientId],
    ['only userinfo', () => `${issuer.url}userinfo`],
    ['a list without the API', () => ['https://other-api.example/', `${issuer.url}userinfo`]],
    ['the API with a different trailing slash', () => issuer.audience.replace(/\/$/, '')],
    ['an empty list', () => []],
  ])('refuses an access token for %s', async (_name, aud) => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ aud: aud() })), 'access', /another audience/);
  });

  it('refuses a token without aud', async () => {
    await expectRefused(await issuer.sign(issuer.accessClaims({ aud: undefined })), 'access', /no "aud" claim/);
  });

  it('refuses an ID token where an access token is expected, and the reverse', async () => {
    await expectRefused(await issuer.sign(issuer.idClaims()), 'access', /another audience/);
    await expectRefused(await issuer.sign(issuer.accessClaims()), 'id', /another audience/);
    // Same audience, told apart by type: an RFC 9068 access token is no ID token.
    await expectRefused(await issuer.sign(issuer.idClaims(), { header: { typ: 'at+jwt' } }), 'id', /another type/);
    await expectRefused(await issuer.sign(issuer.idClaims(), { header: { typ: 'application/at+JWT' } }), 'id', /another type/);
  });

  it.each([
    ['a sub ending @clients', { sub: 'client-abc@clients' }],
    ['gty client-credentials', { gty: 'client-credentials', sub: 'auth0|alice' }],
    ['gty listing client-credentials', { gty: ['refresh_token', 'client-credentials'] }],
  ])('refuses a machine-to-machine token (%s) as an access or ID token', async (_name, claims) => {
    await expectRefused(await issuer.sign(issuer.accessClaims(claims)), 'access', /issued to a machine/);
    await expectRefused(await issuer.sign(issuer.idClaims(claims)), 'id', /issued to a machine/);
  });

  it('refuses a sub that is empty, not a string, too long or not well-formed', async () => {
    for (const sub of ['', 42, 'a'.repeat(256), 'auth0|\ud800']) {
      await expectRefused(await issuer.sign(issuer.accessClaims({ sub })), 'access', /"sub" claim is malformed/);
    }
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ sub: 'a'.repeat(255) })), 'access')).resolves.toBeTruthy();
  });

  it('refuses a typ no kind has (a JWE content type, a logout token as an access token)', async () => {
    await expectRefused(await issuer.sign(issuer.accessClaims(), { header: { typ: 'JOSE' } }), 'access', /another type/);
    await expectRefused(await issuer.sign(issuer.accessClaims(), { header: { typ: 'logout+jwt' } }), 'access', /another type/);
    await expectRefused(await issuer.sign(issuer.accessClaims(), { header: { typ: 7 } }), 'access', /another type/);
  });
});

describe('access token rules', () => {
  it('checks no azp: an access token lists several audiences without one, or names whichever client asked for it', async () => {
    const several = issuer.accessClaims({ aud: [issuer.audience, `${issuer.url}userinfo`], azp: undefined });
    await expect(verifier.verify(await issuer.sign(several), 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ azp: 'another-client' })), 'access')).resolves.toMatchObject({ azp: 'another-client' });
  });
});

describe('ID token rules', () => {
  it('checks azp when aud lists several audiences, and whenever azp is present', async () => {
    const several = [issuer.clientId, 'another-client'];
    await expectRefused(await issuer.sign(issuer.idClaims({ aud: several })), 'id', /no authorized party/);
    await expectRefused(await issuer.sign(issuer.idClaims({ aud: several, azp: 'another-client' })), 'id', /another application/);
    await expectRefused(await issuer.sign(issuer.idClaims({ azp: 'another-client' })), 'id', /another application/);
    await expect(verifier.verify(await issuer.sign(issuer.idClaims({ aud: several, azp: issuer.clientId })), 'id')).resolves.toBeTruthy();
  });

  it('needs no azp with one audience, also as a list of one', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.idClaims({ aud: [issuer.clientId] })), 'id')).resolves.toMatchObject({ aud: [issuer.clientId] });
  });

  it('checks the nonce when the caller passes one, and only then', async () => {
    const token = await issuer.sign(issuer.idClaims({ nonce: 'n-0S6_WzA2Mj' }));
    await expect(verifier.verify(token, 'id')).resolves.toMatchObject({ nonce: 'n-0S6_WzA2Mj' });
    await expect(verifier.verify(token, 'id', { nonce: 'n-0S6_WzA2Mj' })).resolves.toMatchObject({ nonce: 'n-0S6_WzA2Mj' });
    await expect(verifier.verify(token, 'id', { nonce: 'n-other' })).rejects.toMatchObject({ type: 'invalid_token', message: expect.stringMatching(/nonce/) });
    const withoutNonce = await issuer.sign(issuer.idClaims());
    await expect(verifier.verify(withoutNonce, 'id', { nonce: 'n-0S6_WzA2Mj' })).rejects.toMatchObject({ type: 'invalid_token' });
    await expect(verifier.verify(await issuer.sign(issuer.idClaims({ nonce: 7 })), 'id', { nonce: '7' })).rejects.toMatchObject({ type: 'invalid_token' });
  });
});

describe('logout token rules', () => {
  const event = 'http://schemas.openid.net/event/backchannel-logout';

  it('accepts typ logout+jwt, JWT or none', async () => {
    for (const typ of ['logout+jwt', 'application/logout+jwt', 'JWT', undefined]) {
      await expect(verifier.verify(await issuer.sign(issuer.logoutClaims(), { header: { typ } }), 'logout')).resolves.toMatchObject({ sub: 'auth0|alice' });
    }
  });

  it('requires the back-channel logout event as an object', async () => {
    await expectRefused(await issuer.sign(issuer.logoutClaims({ events: undefined })), 'logout', /not a logout token/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ events: { 'http://schemas.openid.net/event/other': {} } })), 'logout', /not a logout token/);
    for (const value of [true, 'yes', null, []]) {
      await expectRefused(await issuer.sign(issuer.logoutClaims({ events: { [event]: value } })), 'logout', /not a logout token/);
    }
    await expectRefused(await issuer.sign(issuer.logoutClaims({ events: [event] })), 'logout', /not a logout token/);
    for (const events of [null, 'logout', 7]) {
      await expectRefused(await issuer.sign(issuer.logoutClaims({ events })), 'logout', /not a logout token/);
    }
  });

  it('refuses a nonce, a missing jti or sub, a malformed sid, another typ and another audience', async () => {
    await expectRefused(await issuer.sign(issuer.logoutClaims({ nonce: 'n' })), 'logout', /must not carry a nonce/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ jti: undefined })), 'logout', /no "jti" claim/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ jti: 5 })), 'logout', /"jti"/);
    // The function finds the user from (iss, sub): a sid-only token names nobody it can log out.
    await expectRefused(await issuer.sign(issuer.logoutClaims({ sub: undefined })), 'logout', /no "sub" claim/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ sid: 12 })), 'logout', /"sid" claim is malformed/);
    await expectRefused(await issuer.sign(issuer.logoutClaims(), { header: { typ: 'at+jwt' } }), 'logout', /another type/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ aud: issuer.audience })), 'logout', /another audience/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ exp: undefined })), 'logout', /no "exp" claim/);
  });

  it('takes a jti of up to 256 characters and no sid, and refuses an empty jti', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.logoutClaims({ jti: 'j'.repeat(256), sid: undefined })), 'logout')).resolves.toMatchObject({ jti: 'j'.repeat(256) });
    await expectRefused(await issuer.sign(issuer.logoutClaims({ jti: '' })), 'logout', /no valid "jti" claim/);
  });

  it('refuses a logout token used as an ID token (same audience and subject) or an access token', async () => {
    await expectRefused(await issuer.sign(issuer.logoutClaims()), 'id', /logout token cannot be used here/);
    await expectRefused(await issuer.sign(issuer.logoutClaims({ aud: issuer.audience })), 'access', /logout token cannot be used here/);
  });

  it('refuses an ID token or access token as a logout token', async () => {
    await expectRefused(await issuer.sign(issuer.idClaims()), 'logout', /no "jti" claim/);
    await expectRefused(await issuer.sign(issuer.idClaims({ jti: 'id-1' })), 'logout', /not a logout token/);
    await expectRefused(await issuer.sign(issuer.accessClaims({ aud: issuer.clientId, jti: 'at-1' })), 'logout', /not a logout token/);
  });
});

describe('malformed tokens', () => {
  it.each([
    ['two segments', () => 'eyJhbGciOiJSUzI1NiJ9.e30'],
    ['four segments', async () => `${await issuer.sign(issuer.accessClaims())}.AA`],
    ['no dots', () => 'not-a-token'],
    ['a header that is not JSON', () => `${base64url.encode('{"alg":')}.e30.AA`],
    ['non-base64url characters', () => 'eyJhbGciOiJSUzI1NiJ9.e30.a+b/c='],
    ['an empty string', () => ''],
  ])('refuses %s', async (_name, make) => {
    await withoutFetches(async () => {
      await expectRefused(await make(), 'access', /malformed|too long|No token|algorithm/);
    });
  });
});

describe('size', () => {
  it('refuses a token over 16 KiB unread, and takes one just under', async () => {
    await withoutFetches(async () => {
      const huge = await issuer.sign(issuer.accessClaims({ padding: 'p'.repeat(16 * 1024) }));
      await expectRefused(huge, 'access', /^The token is too long\.$/);
    });
    const large = await issuer.sign(issuer.accessClaims({ padding: 'p'.repeat(11 * 1024) }));
    expect(large.length).toBeLessThanOrEqual(16 * 1024);
    await expect(verifier.verify(large, 'access')).resolves.toBeTruthy();
  });

  it('takes a token of exactly 16 KiB', async () => {
    const exact = await tokenOfLength(16 * 1024);
    await expect(verifier.verify(exact, 'access')).resolves.toBeTruthy();
    await expectRefused(await tokenOfLength(16 * 1024 + 1), 'access', /^The token is too long\.$/);
  });
});

/** A valid access token of exactly `length` characters, padded with a claim and a header member the verifier ignores. */
async function tokenOfLength(length: number): Promise<string> {
  const sign = (padding: number, headerPadding: number) =>
    issuer.sign(issuer.accessClaims({ padding: 'p'.repeat(padding) }), { header: { pad: 'h'.repeat(headerPadding) } });
  // An unpadded base64url part is never 4k + 1 characters long: some lengths need both parts to move.
  const estimate = Math.floor(((length - (await sign(0, 0)).length) * 3) / 4);
  for (let headerPadding = 0; headerPadding < 3; headerPadding++) {
    for (let padding = estimate - 4; padding <= estimate + 4; padding++) {
      const token = await sign(padding, headerPadding);
      if (token.length === length) return token;
    }
  }
  throw new Error(`No token of ${length} characters.`);
}

describe('clock tolerance (5 s) at its edges', () => {
  it('exp: accepted 4 s past, refused 5 s past', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ iat: now() - 60, exp: now() - 4 })), 'access')).resolves.toBeTruthy();
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() - 60, exp: now() - 5 })), 'access', /expired/);
  });

  it('nbf: accepted 5 s ahead, refused 6 s ahead', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ nbf: now() + 5 })), 'access')).resolves.toBeTruthy();
    await expectRefused(await issuer.sign(issuer.accessClaims({ nbf: now() + 6 })), 'access', /not valid yet/);
  });

  it('iat: accepted 5 s ahead, refused 6 s ahead', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ iat: now() + 5 })), 'access')).resolves.toBeTruthy();
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() + 6 })), 'access', /issued in the future/);
  });

  it('maximum age: accepted at 86400 + 5 s, refused at 86400 + 6 s', async () => {
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims({ iat: now() - 86_405 })), 'access')).resolves.toBeTruthy();
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() - 86_406 })), 'access', /too old/);
  });

  it('follows AUTH0_CLOCK_TOLERANCE_SECONDS and AUTH0_MAX_TOKEN_AGE_SECONDS', async () => {
    const strict = verifierFor(issuer.env({ AUTH0_CLOCK_TOLERANCE_SECONDS: '0', AUTH0_MAX_TOKEN_AGE_SECONDS: '600' }));
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() + 1 })), 'access', /issued in the future/, strict);
    await expectRefused(await issuer.sign(issuer.accessClaims({ iat: now() - 601 })), 'access', /too old/, strict);
    await expect(strict.verify(await issuer.sign(issuer.accessClaims({ iat: now() - 600 })), 'access')).resolves.toBeTruthy();
  });
});

describe('the log', () => {
  it('says why a token was refused, with its kid and alg, and never the token', async () => {
    logLines.length = 0;
    const token = await issuer.sign(issuer.accessClaims({ iat: now() - 3600, exp: now() - 60 }));
    await expectRefused(token, 'access', /expired/);
    const [, payload, signature] = token.split('.');
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toContain('oidc_token_refused');
    expect(logLines[0]).toContain('reason="expired"');
    expect(logLines[0]).toContain(`kid="${rsaKid}"`);
    expect(logLines[0]).toContain('alg="RS256"');
    for (const part of [token, payload!, signature!, 'auth0|alice']) expect(logLines.join('\n')).not.toContain(part);
  });

  it('shortens a long kid', async () => {
    logLines.length = 0;
    await expectRefused(await issuer.sign(issuer.accessClaims(), { header: { kid: 'k'.repeat(10_000) } }), 'access', /key ID/);
    expect(logLines[0]!.length).toBeLessThan(300);
  });

  it('carries at most 64 characters of a kid and 16 of an alg, and leaves out one that is not a string', async () => {
    logLines.length = 0;
    await expectRefused(forge({ alg: `RS${'9'.repeat(40)}`, kid: `${'k'.repeat(64)}-and-more` }, issuer.accessClaims()), 'access', /algorithm is not accepted/);
    await expectRefused(forge({ alg: 7, kid: 7 }, issuer.accessClaims()), 'access', /malformed|algorithm/);
    expect(logLines[0]).toBe(`oidc_token_refused kind="access" reason="alg_not_allowed" kid="${'k'.repeat(64)}" alg="RS${'9'.repeat(14)}"`);
    expect(logLines[1]).toMatch(/^oidc_token_refused kind="access" reason="\w+"$/);
  });

  // Operators search the log by reason: each check that refuses a token names itself.
  it.each<[string, OidcTokenKind, () => string | Promise<string>, { nonce?: string }?]>([
    ['missing', 'access', () => ''],
    ['missing', 'access', () => undefined as unknown as string],
    ['too_long', 'access', () => issuer.sign(issuer.accessClaims({ padding: 'p'.repeat(16 * 1024) }))],
    ['refused_header', 'access', () => issuer.sign(issuer.accessClaims(), { header: { x5c: ['MIIB'] } })],
    ['alg_not_allowed', 'access', () => forge({ alg: 'none', typ: 'JWT' }, issuer.accessClaims())],
    ['not_supported', 'access', () => issuer.sign(issuer.accessClaims(), { header: { crit: ['urn:example:x'], 'urn:example:x': 1 }, crit: { 'urn:example:x': true } })],
    ['malformed', 'access', () => 'not-a-token'],
    ['bad_signature', 'access', async () => `${(await issuer.sign(issuer.accessClaims())).split('.').slice(0, 2).join('.')}.`],
    ['unknown_key', 'access', () => attackerIssuer.sign(issuer.accessClaims(), { header: { kid: 'not-a-key-of-the-issuer' } })],
    ['wrong_issuer', 'access', () => issuer.sign(issuer.accessClaims({ iss: otherIssuer.url }))],
    ['wrong_audience', 'access', () => issuer.sign(issuer.accessClaims({ aud: issuer.clientId }))],
    ['missing_exp', 'access', () => issuer.sign(issuer.accessClaims({ exp: undefined }))],
    ['invalid_nbf', 'access', () => issuer.sign(issuer.accessClaims({ nbf: String(now()) }))],
    ['expired', 'access', () => issuer.sign(issuer.accessClaims({ iat: now() - 3600, exp: now() - 60 }))],
    ['too_old', 'access', () => issuer.sign(issuer.accessClaims({ iat: now() - 86_406, exp: now() + 3600 }))],
    ['not_yet_valid', 'access', () => issuer.sign(issuer.accessClaims({ nbf: now() + 120 }))],
    ['issued_in_future', 'access', () => issuer.sign(issuer.accessClaims({ iat: now() + 3600, exp: now() + 7200 }))],
    ['wrong_typ', 'access', () => issuer.sign(issuer.accessClaims(), { header: { typ: 'JOSE' } })],
    ['invalid_sub', 'access', () => issuer.sign(issuer.accessClaims({ sub: '' }))],
    ['machine_to_machine', 'access', () => issuer.sign(issuer.accessClaims({ sub: 'client-abc@clients' }))],
    ['logout_token', 'id', () => issuer.sign(issuer.logoutClaims())],
    ['missing_azp', 'id', () => issuer.sign(issuer.idClaims({ aud: [issuer.clientId, 'another-client'] }))],
    ['wrong_azp', 'id', () => issuer.sign(issuer.idClaims({ azp: 'another-client' }))],
    ['wrong_nonce', 'id', () => issuer.sign(issuer.idClaims({ nonce: 'n-1' })), { nonce: 'n-2' }],
    ['not_a_logout_token', 'logout', () => issuer.sign(issuer.logoutClaims({ events: undefined }))],
    ['logout_with_nonce', 'logout', () => issuer.sign(issuer.logoutClaims({ nonce: 'n' }))],
    ['invalid_jti', 'logout', () => issuer.sign(issuer.logoutClaims({ jti: 'j'.repeat(257) }))],
    ['invalid_sid', 'logout', () => issuer.sign(issuer.logoutClaims({ sid: 12 }))],
  ])('logs reason="%s" for a %s token that fails that check', async (reason, kind, make, options) => {
    logLines.length = 0;
    await expect(verifier.verify(await make(), kind, options)).rejects.toMatchObject({ type: 'invalid_token', status: 401 });
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatch(new RegExp(`^oidc_token_refused kind="${kind}" reason="${reason}"( kid="[^"]*")?( alg="[^"]*")?$`));
  });
});

