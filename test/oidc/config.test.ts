/**
 * The `AUTH0_*` variables: what each preset needs, what is refused at build time, and that an
 * error names the variable, never its value.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config.js';
import { oidcConfigSchema, oidcPort, resolveOidcConfig } from '../../shared/oidc/index.js';
import { createTestPlatform } from '../helpers/platform.js';

const base = { AUTH0_DOMAIN: 'tenant.eu.auth0.com', AUTH0_AUDIENCE: 'https://api.example.com/' };
const secret = 'a-shared-secret-of-at-least-32-bytes!';

function resolve(env: Record<string, string>) {
  return resolveOidcConfig(parseConfig(oidcConfigSchema, env));
}

/** The problems a configuration has, as the ConfigError lists them. */
function problems(env: Record<string, string>): string[] {
  try {
    oidcPort.create(createTestPlatform({ env }).runtime);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('the configuration was accepted');
}

describe('AUTH0_* variables', () => {
  it('defaults: the auth0 preset, access tokens, RS256, 5 s tolerance, a day of age, a 30 s cooldown, Auth0 JWKS path', () => {
    expect(resolve(base)).toEqual({
      preset: 'auth0',
      issuer: 'https://tenant.eu.auth0.com/',
      audience: 'https://api.example.com/',
      clientId: undefined,
      exchangeKind: 'access',
      algorithms: ['RS256'],
      keys: { kind: 'jwks', url: 'https://tenant.eu.auth0.com/.well-known/jwks.json' },
      clockToleranceSeconds: 5,
      maxTokenAgeSeconds: 86_400,
      jwksCooldownMs: 30_000,
    });
  });

  it('AUTH0_ISSUER wins over AUTH0_DOMAIN and is kept exactly (a custom domain, any OIDC issuer)', () => {
    expect(resolve({ ...base, AUTH0_ISSUER: 'https://login.example.com/' }).issuer).toBe('https://login.example.com/');
    const google = resolve({ AUTH0_PRESET: 'custom', AUTH0_ISSUER: 'https://accounts.example.com', AUTH0_CLIENT_ID: 'c', AUTH0_TOKEN_TYPE: 'id' });
    expect(google).toMatchObject({ issuer: 'https://accounts.example.com', keys: { kind: 'discovery' }, exchangeKind: 'id' });
    expect(resolve({ ...base, AUTH0_JWKS_URL: 'https://keys.example.com/jwks' }).keys).toEqual({ kind: 'jwks', url: 'https://keys.example.com/jwks' });
  });

  it('writes the issuer of an AUTH0_DOMAIN in lower case, as Auth0 does; plain http only to this machine', () => {
    expect(resolve({ ...base, AUTH0_DOMAIN: 'Tenant.EU.Auth0.com' }).issuer).toBe('https://tenant.eu.auth0.com/');
    expect(resolve({ ...base, AUTH0_ISSUER: 'http://127.0.0.1:8080/' }).issuer).toBe('http://127.0.0.1:8080/');
  });

  it('the custom preset with a secret: HS256 alone, no JWKS', () => {
    const config = resolve({ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: secret });
    expect(config.algorithms).toEqual(['HS256']);
    expect(config.keys.kind).toBe('secret');
  });

  it('takes an algorithm list', () => {
    expect(resolve({ ...base, AUTH0_ALGORITHMS: 'RS256, ES256,PS256' }).algorithms).toEqual(['RS256', 'ES256', 'PS256']);
  });

  it.each([
    ['no issuer', { AUTH0_AUDIENCE: 'x' }, 'AUTH0_DOMAIN'],
    ['a domain with a scheme', { ...base, AUTH0_DOMAIN: 'https://tenant.auth0.com' }, 'AUTH0_DOMAIN'],
    ['a domain with a path', { ...base, AUTH0_DOMAIN: 'tenant.auth0.com/x' }, 'AUTH0_DOMAIN'],
    ['an http issuer off this machine', { ...base, AUTH0_ISSUER: 'http://login.example.com/' }, 'AUTH0_ISSUER'],
    ['an issuer with credentials', { ...base, AUTH0_ISSUER: 'https://user:pw@login.example.com/' }, 'AUTH0_ISSUER'],
    ['an issuer with a user name', { ...base, AUTH0_ISSUER: 'https://user@login.example.com/' }, 'AUTH0_ISSUER'],
    ['an issuer with a password', { ...base, AUTH0_ISSUER: 'https://:pw@login.example.com/' }, 'AUTH0_ISSUER'],
    ['an issuer with a #fragment', { ...base, AUTH0_ISSUER: 'https://login.example.com/#tenant' }, 'AUTH0_ISSUER'],
    ['an issuer on this machine that is not http', { ...base, AUTH0_ISSUER: 'ftp://127.0.0.1/' }, 'AUTH0_ISSUER'],
    ['an issuer that is no URL', { ...base, AUTH0_ISSUER: 'login.example.com' }, 'AUTH0_ISSUER'],
    ['an http JWKS off this machine', { ...base, AUTH0_JWKS_URL: 'http://keys.example.com/jwks' }, 'AUTH0_JWKS_URL'],
    ['access tokens without an audience', { AUTH0_DOMAIN: 'tenant.auth0.com' }, 'AUTH0_AUDIENCE'],
    ['ID tokens without a client ID', { AUTH0_DOMAIN: 'tenant.auth0.com', AUTH0_TOKEN_TYPE: 'id' }, 'AUTH0_CLIENT_ID'],
    ['an unknown token type', { ...base, AUTH0_TOKEN_TYPE: 'refresh' }, 'AUTH0_TOKEN_TYPE'],
    ['an unknown preset', { ...base, AUTH0_PRESET: 'okta' }, 'AUTH0_PRESET'],
    ['alg none', { ...base, AUTH0_ALGORITHMS: 'RS256,none' }, 'AUTH0_ALGORITHMS: must not list none'],
    ['alg None', { ...base, AUTH0_ALGORITHMS: 'None' }, 'AUTH0_ALGORITHMS: must not list none'],
    ['an unknown algorithm', { ...base, AUTH0_ALGORITHMS: 'RS1' }, 'AUTH0_ALGORITHMS'],
    ['a lower-case algorithm', { ...base, AUTH0_ALGORITHMS: 'rs256' }, 'AUTH0_ALGORITHMS'],
    ['an empty algorithm list', { ...base, AUTH0_ALGORITHMS: ' , ' }, 'AUTH0_ALGORITHMS'],
    ['HS256 without a secret', { ...base, AUTH0_ALGORITHMS: 'HS256' }, 'AUTH0_ALGORITHMS'],
    ['HS256 next to RS256 without a secret', { ...base, AUTH0_PRESET: 'custom', AUTH0_ALGORITHMS: 'RS256,HS256' }, 'AUTH0_ALGORITHMS'],
    ['a secret with the auth0 preset', { ...base, AUTH0_HS256_SECRET: secret }, 'AUTH0_HS256_SECRET'],
    ['a secret and a JWKS URL', { ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: secret, AUTH0_JWKS_URL: 'https://keys.example.com/jwks' }, 'AUTH0_JWKS_URL'],
    ['a secret and RS256', { ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: secret, AUTH0_ALGORITHMS: 'RS256' }, 'AUTH0_ALGORITHMS'],
    ['a tolerance over 60 s', { ...base, AUTH0_CLOCK_TOLERANCE_SECONDS: '61' }, 'AUTH0_CLOCK_TOLERANCE_SECONDS'],
    ['a negative tolerance', { ...base, AUTH0_CLOCK_TOLERANCE_SECONDS: '-1' }, 'AUTH0_CLOCK_TOLERANCE_SECONDS'],
    ['a maximum age under a minute', { ...base, AUTH0_MAX_TOKEN_AGE_SECONDS: '59' }, 'AUTH0_MAX_TOKEN_AGE_SECONDS'],
    ['a cooldown of 0', { ...base, AUTH0_JWKS_COOLDOWN_SECONDS: '0' }, 'AUTH0_JWKS_COOLDOWN_SECONDS'],
  ])('refuses %s, naming the variable', (_name, env, variable) => {
    expect(problems(env).join('; ')).toContain(variable);
  });

  it('refuses a secret under 32 bytes, counting bytes, without repeating it', () => {
    const short = 'short-secret-of-31-bytes-123456';
    expect(short).toHaveLength(31);
    const found = problems({ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: short }).join('; ');
    expect(found).toContain('AUTH0_HS256_SECRET');
    expect(found).toContain('32 bytes');
    expect(found).not.toContain(short);
    // 11 three-byte characters are 33 bytes.
    expect(resolve({ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: '€'.repeat(11) }).keys.kind).toBe('secret');
  });

  it('asking for a kind whose audience is not configured is a configuration error, not a token error', async () => {
    const verifier = oidcPort.create(createTestPlatform({ env: base }).runtime);
    await expect(verifier.verify('x.y.z', 'id')).rejects.toBeInstanceOf(ConfigError);
    await expect(verifier.verify('x.y.z', 'logout')).rejects.toThrow(/AUTH0_CLIENT_ID/);
    const idOnly = oidcPort.create(createTestPlatform({ env: { AUTH0_DOMAIN: 'tenant.eu.auth0.com', AUTH0_TOKEN_TYPE: 'id', AUTH0_CLIENT_ID: 'client' } }).runtime);
    await expect(idOnly.verify('x.y.z', 'access')).rejects.toThrow('AUTH0_AUDIENCE: is required to verify access tokens');
  });

  it('exposes the issuer and the exchange kind', () => {
    const verifier = oidcPort.create(createTestPlatform({ env: { ...base, AUTH0_TOKEN_TYPE: 'id', AUTH0_CLIENT_ID: 'client' } }).runtime);
    expect(verifier.issuer).toBe('https://tenant.eu.auth0.com/');
    expect(verifier.exchangeKind).toBe('id');
  });

  it('needs no Appwrite scope', () => {
    expect(oidcPort.appwriteScopes).toEqual([]);
  });

  it('accepts a secret of exactly 32 bytes, and AUTH0_ALGORITHMS=HS256 spelled out next to it', () => {
    const exact = 'x'.repeat(32);
    expect(resolve({ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: exact }).keys.kind).toBe('secret');
    expect(resolve({ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: exact, AUTH0_ALGORITHMS: 'HS256' }).algorithms).toEqual(['HS256']);
  });

  it.each([
    [{ AUTH0_AUDIENCE: 'x' }, 'AUTH0_DOMAIN: is required (the Auth0 tenant or custom domain), or set AUTH0_ISSUER to the exact issuer URL'],
    [{ AUTH0_DOMAIN: 'tenant.auth0.com' }, 'AUTH0_AUDIENCE: is required to verify access tokens (AUTH0_TOKEN_TYPE=access, the default): the API Identifier'],
    [{ AUTH0_DOMAIN: 'tenant.auth0.com', AUTH0_TOKEN_TYPE: 'id' }, 'AUTH0_CLIENT_ID: is required to verify ID tokens (AUTH0_TOKEN_TYPE=id)'],
    [{ ...base, AUTH0_HS256_SECRET: secret }, 'AUTH0_HS256_SECRET: is only for AUTH0_PRESET=custom: Auth0 access tokens are signed with RS256'],
    [{ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: secret, AUTH0_JWKS_URL: 'https://keys.example.com/jwks' }, 'AUTH0_JWKS_URL: must not be set with AUTH0_HS256_SECRET: keys come from one place'],
    [{ ...base, AUTH0_PRESET: 'custom', AUTH0_HS256_SECRET: secret, AUTH0_ALGORITHMS: 'HS256,RS256' }, 'AUTH0_ALGORITHMS: must be HS256 (or unset) with AUTH0_HS256_SECRET'],
    [{ ...base, AUTH0_PRESET: 'custom', AUTH0_ALGORITHMS: 'HS256' }, 'AUTH0_ALGORITHMS: may list HS256 only with AUTH0_PRESET=custom and AUTH0_HS256_SECRET'],
  ])('a combination that cannot work says what to set: %o', (env, problem) => {
    expect(problems(env)).toContain(problem);
  });

  it.each([
    ['no algorithm at all', ' , ', 'AUTH0_ALGORITHMS: must list at least one algorithm'],
    ['an unknown algorithm', 'RS256,XS512', 'AUTH0_ALGORITHMS: must list only RS256, RS384, RS512, PS256, ES256, ES384, EdDSA, HS256 (case as written)'],
    ['none', 'RS256,none', 'AUTH0_ALGORITHMS: must not list none'],
  ])('refuses AUTH0_ALGORITHMS with %s, saying why', (_what, algorithms, message) => {
    expect(problems({ ...base, AUTH0_ALGORITHMS: algorithms }).join('; ')).toContain(message);
  });
});
