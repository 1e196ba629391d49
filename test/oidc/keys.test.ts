/**
 * Where keys come from and how often the issuer is asked: the JWKS cache shared across requests,
 * the unknown-kid cooldown under a flood, rotation, an unreachable JWKS with and without cached keys,
 * and discovery.
 *
 * jose times its JWKS cache and cooldown with `Date.now`, so these tests move `Date` (and only
 * `Date`) with fake timers; token times follow the test clock as everywhere else.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { oidcPort, type OidcVerifier } from '../../shared/oidc/index.js';
import { manualClock } from '../helpers/clock.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { createTestPlatform } from '../helpers/platform.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 12));
const logLines: string[] = [];
let issuer: OidcIssuer;

function verifierFor(env: Record<string, string>): OidcVerifier {
  return oidcPort.create(createTestPlatform({ env, clock, logger: createLogger((line) => logLines.push(line)) }).runtime);
}

/** Moves `Date` (jose's timeline) forward. */
function advanceDate(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'accepted',
    (error: unknown) => (error as { type?: string }).type ?? error,
  );
}

const unknownKidToken = (index: number) => issuer.sign(issuer.accessClaims(), { header: { kid: `rotated-${index}` } });

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2026, 0, 15, 12));
  logLines.length = 0;
  // A new issuer per test: a new URL, so nothing is cached for it yet.
  issuer = await startOidcIssuer({ clock });
});
afterEach(async () => {
  vi.useRealTimers();
  await issuer.close();
});

describe('the JWKS cache', () => {
  it('is fetched once and shared by every verifier of the process for the same issuer and URL', async () => {
    const first = verifierFor(issuer.env());
    const second = verifierFor(issuer.env());
    for (let index = 0; index < 5; index++) await first.verify(await issuer.sign(issuer.accessClaims()), 'access');
    await second.verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect(issuer.jwksFetches).toBe(1);
    // Another URL for the same keys is another cache.
    await verifierFor(issuer.env({ AUTH0_JWKS_URL: `${issuer.url}jwks.json` })).verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect(issuer.jwksFetches).toBe(2);
  });

  it('asks for the JWKS as a JWK set or JSON', async () => {
    await verifierFor(issuer.env()).verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect(issuer.jwksAccept).toBe('application/json, application/jwk-set+json');
  });

  it('requests arriving together on a cold process share one fetch', async () => {
    const verifier = verifierFor(issuer.env());
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.sign(issuer.accessClaims())));
    await Promise.all(tokens.map((token) => verifier.verify(token, 'access')));
    expect(issuer.jwksFetches).toBe(1);
  });

  it('a flood of unknown kids causes at most one fetch per cooldown', async () => {
    const verifier = verifierFor(issuer.env());
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect(issuer.jwksFetches).toBe(1);

    const flood = async (count: number) => {
      const tokens = await Promise.all(Array.from({ length: count }, (_, index) => unknownKidToken(index)));
      const outcomes = await Promise.all(tokens.map((token) => outcome(verifier.verify(token, 'access'))));
      expect(new Set(outcomes)).toEqual(new Set(['invalid_token']));
    };
    // Within the cooldown of the first fetch: none.
    await flood(100);
    expect(issuer.jwksFetches).toBe(1);
    // Past it: one, however many arrive together or after.
    advanceDate(31_000);
    await flood(100);
    await flood(50);
    expect(issuer.jwksFetches).toBe(2);
    advanceDate(29_000);
    await flood(50);
    expect(issuer.jwksFetches).toBe(2);
    advanceDate(2_000);
    await flood(50);
    expect(issuer.jwksFetches).toBe(3);
  });

  it('follows AUTH0_JWKS_COOLDOWN_SECONDS', async () => {
    const verifier = verifierFor(issuer.env({ AUTH0_JWKS_COOLDOWN_SECONDS: '120' }));
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    advanceDate(61_000);
    await outcome(verifier.verify(await unknownKidToken(1), 'access'));
    expect(issuer.jwksFetches).toBe(1);
    advanceDate(60_000);
    await outcome(verifier.verify(await unknownKidToken(2), 'access'));
    expect(issuer.jwksFetches).toBe(2);
  });

  it('picks up a rotated key once the cooldown allows, and drops a removed key when the cache expires', async () => {
    const verifier = verifierFor(issuer.env());
    const oldKid = issuer.currentKid;
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');

    const newKid = await issuer.addKey('RS256');
    const fromNewKey = await issuer.sign(issuer.accessClaims());
    // Within the cooldown the new kid is unknown: issuers publish the next key ahead of signing with it.
    expect(await outcome(verifier.verify(fromNewKey, 'access'))).toBe('invalid_token');
    advanceDate(31_000);
    await expect(verifier.verify(fromNewKey, 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
    expect(issuer.jwksFetches).toBe(2);

    issuer.removeKey(oldKid);
    const fromOldKey = await issuer.sign(issuer.accessClaims(), { kid: oldKid });
    // Cached keys serve until jose's cache age (10 minutes) ends.
    await expect(verifier.verify(fromOldKey, 'access')).resolves.toBeTruthy();
    advanceDate(10 * 60_000 + 1_000);
    expect(await outcome(verifier.verify(fromOldKey, 'access'))).toBe('invalid_token');
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims(), { kid: newKid }), 'access')).resolves.toBeTruthy();
  });
});

describe('an unreachable JWKS', () => {
  it.each([
    ['a 503', { status: 503 }],
    ['a 404', { status: 404 }],
    ['a 200 that is not JSON', { status: 200, body: '<html>maintenance</html>' }],
    ['a 200 that is not a key set', { status: 200, body: '{"keys":5}' }],
    ['a dropped connection', 'drop'],
    ['a key set over 256 KiB', { status: 200, body: JSON.stringify({ keys: [], padding: 'p'.repeat(300 * 1024) }) }],
  ] as const)('with no cached key is issuer_unavailable (503) on %s, asked again only after the cooldown', async (_name, failure) => {
    const verifier = verifierFor(issuer.env());
    issuer.failJwks(failure);
    const token = await issuer.sign(issuer.accessClaims());
    await expect(verifier.verify(token, 'access')).rejects.toMatchObject({ type: 'issuer_unavailable', status: 503 });
    expect(issuer.jwksFetches).toBe(1);
    expect(logLines.some((line) => line.startsWith('oidc_jwks_unreachable'))).toBe(true);
    // The issuer is at fault, not the token: no token refusal is logged.
    expect(logLines.filter((line) => line.startsWith('oidc_token_refused'))).toEqual([]);

    issuer.failJwks(null);
    // Every request meanwhile fails at once, without asking the issuer.
    for (let index = 0; index < 10; index++) expect(await outcome(verifier.verify(token, 'access'))).toBe('issuer_unavailable');
    expect(issuer.jwksFetches).toBe(1);
    advanceDate(31_000);
    await expect(verifier.verify(token, 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
    expect(issuer.jwksFetches).toBe(2);
  });

  it('logs why the JWKS was unreachable, and asks again exactly when the cooldown ends', async () => {
    const verifier = verifierFor(issuer.env({ AUTH0_JWKS_COOLDOWN_SECONDS: '10' }));
    issuer.failJwks({ status: 503 });
    const token = await issuer.sign(issuer.accessClaims());
    expect(await outcome(verifier.verify(token, 'access'))).toBe('issuer_unavailable');
    expect(logLines.filter((line) => line.startsWith('oidc_jwks_unreachable'))).toEqual(['oidc_jwks_unreachable reason="status 503"']);

    issuer.failJwks(null);
    advanceDate(10_000 - 1);
    expect(await outcome(verifier.verify(token, 'access'))).toBe('issuer_unavailable');
    expect(issuer.jwksFetches).toBe(1);
    advanceDate(1);
    await expect(verifier.verify(token, 'access')).resolves.toMatchObject({ sub: 'auth0|alice' });
    expect(issuer.jwksFetches).toBe(2);
  });

  it('is issuer_unavailable when nothing listens, or the JWKS does not answer within OUTBOUND_TIMEOUT_MS', async () => {
    const closed = verifierFor(issuer.env({ AUTH0_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json' }));
    await expect(closed.verify(await issuer.sign(issuer.accessClaims()), 'access')).rejects.toMatchObject({ type: 'issuer_unavailable' });
    issuer.failJwks('hang');
    const slow = verifierFor(issuer.env({ OUTBOUND_TIMEOUT_MS: '300' }));
    await expect(slow.verify(await issuer.sign(issuer.accessClaims()), 'access')).rejects.toMatchObject({ type: 'issuer_unavailable' });
  });

  it('with a cached key still verifies, also once the cache is stale, and refuses what the cache cannot vouch for', async () => {
    const verifier = verifierFor(issuer.env());
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    issuer.failJwks({ status: 500 });

    // Fresh cache: the issuer is not even asked.
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access')).resolves.toBeTruthy();
    expect(issuer.jwksFetches).toBe(1);
    // Stale cache: asked once, then the cached key serves.
    advanceDate(10 * 60_000 + 1_000);
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access')).resolves.toBeTruthy();
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access')).resolves.toBeTruthy();
    expect(issuer.jwksFetches).toBe(2);
    // A kid the cache does not have might be the issuer's new key: the kit cannot tell, so 503, not 401.
    expect(await outcome(verifier.verify(await unknownKidToken(1), 'access'))).toBe('issuer_unavailable');
    // The cached key is no reason to skip the other checks.
    const expired = await issuer.sign(issuer.accessClaims({ iat: Math.floor(clock.now() / 1000) - 3600, exp: Math.floor(clock.now() / 1000) - 60 }));
    expect(await outcome(verifier.verify(expired, 'access'))).toBe('invalid_token');
    const tampered = (await issuer.sign(issuer.accessClaims())).slice(0, -4) + 'AAAA';
    expect(await outcome(verifier.verify(tampered, 'access'))).toBe('invalid_token');
    expect(issuer.jwksFetches).toBe(2);

    // Back up: after the cooldown the JWKS is fetched again, and a new key is found.
    issuer.failJwks(null);
    await issuer.addKey('RS256');
    advanceDate(31_000);
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access')).resolves.toBeTruthy();
    expect(issuer.jwksFetches).toBe(3);
  });

  it('refuses from the cache, as invalid_token, a token without a kid that several cached keys fit', async () => {
    await issuer.addKey('RS256');
    const verifier = verifierFor(issuer.env());
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    issuer.failJwks({ status: 500 });
    advanceDate(10 * 60_000 + 1_000);
    // The issuer being down changes nothing: the token is at fault, and the cache can tell.
    const noKid = await issuer.sign(issuer.accessClaims(), { header: { kid: undefined } });
    await expect(verifier.verify(noKid, 'access')).rejects.toMatchObject({ type: 'invalid_token', status: 401, message: "The token's signing key is ambiguous." });
    expect(issuer.jwksFetches).toBe(2);
  });

  it('is issuer_unavailable for an unknown kid when the refetch it causes fails', async () => {
    const verifier = verifierFor(issuer.env());
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    issuer.failJwks({ status: 502 });
    advanceDate(31_000);
    expect(await outcome(verifier.verify(await unknownKidToken(1), 'access'))).toBe('issuer_unavailable');
    await expect(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access')).resolves.toBeTruthy();
    expect(issuer.jwksFetches).toBe(2);
  });
});

describe('discovery', () => {
  const customEnv = () => issuer.env({ AUTH0_PRESET: 'custom' });

  it('the custom preset finds the JWKS through discovery, fetched once', async () => {
    const verifier = verifierFor(customEnv());
    for (let index = 0; index < 3; index++) await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect([issuer.discoveryFetches, issuer.jwksFetches]).toEqual([1, 1]);
    await expect(verifier.metadata()).resolves.toMatchObject({
      issuer: issuer.url,
      authorization_endpoint: `${issuer.url}authorize`,
      token_endpoint: `${issuer.url}oauth/token`,
      jwks_uri: issuer.jwksUrl,
    });
    expect(issuer.discoveryFetches).toBe(1);
  });

  it('the auth0 preset goes to /.well-known/jwks.json without discovery, and still serves metadata()', async () => {
    const verifier = verifierFor(issuer.env());
    await verifier.verify(await issuer.sign(issuer.accessClaims()), 'access');
    expect([issuer.discoveryFetches, issuer.jwksFetches]).toEqual([0, 1]);
    await expect(verifier.metadata()).resolves.toMatchObject({ token_endpoint: `${issuer.url}oauth/token` });
  });

  it('is issuer_unavailable when it fails, asked again only after the cooldown', async () => {
    const verifier = verifierFor(customEnv());
    issuer.failDiscovery({ status: 500 });
    const token = await issuer.sign(issuer.accessClaims());
    expect(await outcome(verifier.verify(token, 'access'))).toBe('issuer_unavailable');
    expect(await outcome(verifier.metadata())).toBe('issuer_unavailable');
    expect([issuer.discoveryFetches, issuer.jwksFetches]).toEqual([1, 0]);
    issuer.failDiscovery(null);
    advanceDate(31_000);
    await expect(verifier.verify(token, 'access')).resolves.toBeTruthy();
    expect(issuer.discoveryFetches).toBe(2);
  });

  it.each([
    ['names another issuer', 'the document names another issuer', () => JSON.stringify({ issuer: 'https://evil.example/', authorization_endpoint: 'https://evil.example/a', token_endpoint: 'https://evil.example/t', jwks_uri: 'https://evil.example/j' })],
    ['has a jwks_uri over plain http to another host', 'not a discovery document', () => JSON.stringify({ issuer: issuer.url, authorization_endpoint: `${issuer.url}a`, token_endpoint: `${issuer.url}t`, jwks_uri: 'http://evil.example/jwks.json' })],
    ['lacks the token endpoint', 'not a discovery document', () => JSON.stringify({ issuer: issuer.url, authorization_endpoint: `${issuer.url}a`, jwks_uri: issuer.jwksUrl })],
    ['is not JSON', 'not JSON', () => 'nope'],
    ['is too large', 'document too large', () => JSON.stringify({ issuer: issuer.url, padding: 'p'.repeat(300 * 1024) })],
  ])('is refused when the document %s', async (_name, reason, body) => {
    issuer.failDiscovery({ status: 200, body: body() });
    const verifier = verifierFor(customEnv());
    expect(await outcome(verifier.verify(await issuer.sign(issuer.accessClaims()), 'access'))).toBe('issuer_unavailable');
    expect(issuer.jwksFetches).toBe(0);
    expect(logLines).toContain(`oidc_discovery_failed reason=${JSON.stringify(reason)}`);
  });

  it('refuses a document for the issuer spelt without its trailing slash (the issuer must match exactly)', async () => {
    const verifier = verifierFor(issuer.env({ AUTH0_PRESET: 'custom', AUTH0_ISSUER: issuer.url.replace(/\/$/, '') }));
    expect(await outcome(verifier.metadata())).toBe('issuer_unavailable');
  });
});
