/**
 * The "own backend" preset: tokens a backend signs itself, with an HS256 shared secret or with its
 * own keys behind a JWKS, signed here exactly as the README shows.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTHeaderParameters } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { oidcPort, type OidcVerifier } from '../../shared/oidc/index.js';
import { manualClock } from '../helpers/clock.js';
import { forge, startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { createTestPlatform } from '../helpers/platform.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 12));
const secret = 'an-hs256-secret-of-at-least-32-bytes-0123';
const backend = 'https://auth.example.com/';
const audience = 'appwrite-kit';

function verifierFor(env: Record<string, string>): OidcVerifier {
  return oidcPort.create(createTestPlatform({ env, clock }).runtime);
}

/** What the README tells a backend to do, with the test clock. */
function backendToken(sub: string, header: JWTHeaderParameters = { alg: 'HS256', typ: 'JWT' }) {
  return new SignJWT({ roles: ['editor'] })
    .setProtectedHeader(header)
    .setIssuer(backend)
    .setAudience(audience)
    .setSubject(sub)
    .setIssuedAt(new Date(clock.now()))
    .setExpirationTime(new Date(clock.now() + 5 * 60_000));
}

describe('own backend with an HS256 secret', () => {
  const env = { AUTH0_PRESET: 'custom', AUTH0_ISSUER: backend, AUTH0_AUDIENCE: audience, AUTH0_HS256_SECRET: secret };
  let issuer: OidcIssuer;
  beforeAll(async () => {
    issuer = await startOidcIssuer({ clock });
  });
  afterAll(() => issuer.close());

  it('accepts a token signed with the secret', async () => {
    const token = await backendToken('user-42').sign(new TextEncoder().encode(secret));
    await expect(verifierFor(env).verify(token, 'access')).resolves.toMatchObject({ iss: backend, sub: 'user-42', roles: ['editor'] });
  });

  it('refuses a token signed with another secret, or unsigned', async () => {
    const other = await backendToken('user-42').sign(new TextEncoder().encode(`${secret}-other`));
    await expect(verifierFor(env).verify(other, 'access')).rejects.toMatchObject({ type: 'invalid_token', message: "The token's signature is invalid." });
    const payload = JSON.parse(Buffer.from(other.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    await expect(verifierFor(env).verify(forge({ alg: 'none' }, payload), 'access')).rejects.toMatchObject({ type: 'invalid_token' });
  });

  it('refuses a token that says RS256, even signed by a real key', async () => {
    const token = await issuer.sign({ iss: backend, aud: audience, sub: 'user-42', iat: Math.floor(clock.now() / 1000), exp: Math.floor(clock.now() / 1000) + 60 });
    await expect(verifierFor(env).verify(token, 'access')).rejects.toMatchObject({ type: 'invalid_token', message: "The token's signing algorithm is not accepted." });
  });

  it('applies every other check: issuer, audience, expiry, M2M, embedded keys', async () => {
    const key = new TextEncoder().encode(secret);
    const verifier = verifierFor(env);
    await expect(verifier.verify(await backendToken('u').setIssuer('https://auth.example.com').sign(key), 'access')).rejects.toMatchObject({ type: 'invalid_token' });
    await expect(verifier.verify(await backendToken('u').setAudience('other').sign(key), 'access')).rejects.toMatchObject({ type: 'invalid_token' });
    await expect(verifier.verify(await backendToken('u').setExpirationTime(new Date(clock.now() - 60_000)).sign(key), 'access')).rejects.toMatchObject({ type: 'invalid_token' });
    await expect(verifier.verify(await backendToken('svc@clients').sign(key), 'access')).rejects.toMatchObject({ type: 'invalid_token' });
    const jku = await backendToken('u', { alg: 'HS256', jku: 'https://attacker.example/jwks.json' }).sign(key);
    await expect(verifier.verify(jku, 'access')).rejects.toMatchObject({ type: 'invalid_token', message: expect.stringMatching(/own key/) });
  });

  it('refuses a short secret when the port is built', () => {
    expect(() => verifierFor({ ...env, AUTH0_HS256_SECRET: 'too-short' })).toThrow(/AUTH0_HS256_SECRET: .*32 bytes/);
  });
});

describe('own backend with its own keys behind a JWKS', () => {
  let server: ReturnType<typeof createServer>;
  let jwksUrl = '';
  let privateKey: CryptoKey;
  // jose refuses RSA keys under 2048 bits, so this one is made and used with node:crypto.
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });

  beforeAll(async () => {
    // The README's backend: one key pair, its public half served as a JWKS.
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwks = {
      keys: [
        { ...(await exportJWK(pair.publicKey)), kid: 'backend-1', alg: 'RS256', use: 'sig' },
        { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak-1', alg: 'RS256', use: 'sig' },
      ],
    };
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('accepts an RS256 token with the kid of the published key', async () => {
    const verifier = verifierFor({ AUTH0_PRESET: 'custom', AUTH0_ISSUER: backend, AUTH0_AUDIENCE: audience, AUTH0_JWKS_URL: jwksUrl });
    const token = await backendToken('user-7', { alg: 'RS256', kid: 'backend-1', typ: 'JWT' }).sign(privateKey);
    await expect(verifier.verify(token, 'access')).resolves.toMatchObject({ sub: 'user-7' });
    // An HS256 token keyed with anything is refused: the allowlist is RS256.
    const hs = await backendToken('user-7').sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(hs, 'access')).rejects.toMatchObject({ type: 'invalid_token' });
  });

  it('refuses a token signed with an RSA key under 2048 bits, although the JWKS publishes it', async () => {
    const lines: string[] = [];
    const verifier = oidcPort.create(
      createTestPlatform({ env: { AUTH0_PRESET: 'custom', AUTH0_ISSUER: backend, AUTH0_AUDIENCE: audience, AUTH0_JWKS_URL: jwksUrl }, clock, logger: createLogger((line) => lines.push(line)) }).runtime,
    );
    const now = Math.floor(clock.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part({ alg: 'RS256', kid: 'weak-1', typ: 'JWT' })}.${part({ iss: backend, aud: audience, sub: 'user-7', iat: now, exp: now + 60 })}`;
    const token = `${input}.${createSign('RSA-SHA256').update(input).sign(weak.privateKey).toString('base64url')}`;
    await expect(verifier.verify(token, 'access')).rejects.toMatchObject({ type: 'invalid_token', message: 'The token could not be verified.' });
    expect(lines.join('\n')).toContain('reason="unexpected_TypeError"');
  });
});
