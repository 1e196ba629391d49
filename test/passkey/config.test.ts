/**
 * The passkey function's configuration: which origins may use passkeys of the relying party (as
 * browsers send them, https, on the RP ID), how the variables read, and what `npm start`'s
 * development mode fills in. Problems are reported naming the variable and the origin at fault.
 */
import { describe, expect, it } from 'vitest';
import { completeConfig, developmentRelyingParty, originProblem, passkeyConfigSchema } from '../../functions/passkey/config.js';
import { ConfigError, parseConfig } from '../../shared/config.js';

const env = {
  PASSKEY_RP_ID: 'example.test',
  PASSKEY_RP_NAME: 'Example',
  PASSKEY_ORIGINS: 'https://app.example.test',
  PASSKEY_CHALLENGE_SECRET: 'config-test-challenge-secret-0123456789',
};

/** The problems a ConfigError lists, or `[]` when `make` does not throw one. */
function problemsOf(make: () => unknown): readonly string[] {
  try {
    make();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('originProblem', () => {
  it('accepts origins as browsers send them, on the RP ID or a subdomain, over https', () => {
    expect(originProblem('https://example.com', 'example.com')).toBeNull();
    expect(originProblem('https://app.example.com', 'example.com')).toBeNull();
    expect(originProblem('https://a.b.example.com:8443', 'example.com')).toBeNull();
  });

  it('accepts http only on localhost', () => {
    expect(originProblem('http://localhost:5173', 'localhost')).toBeNull();
    expect(originProblem('https://localhost', 'localhost')).toBeNull();
    expect(originProblem('http://app.example.com', 'example.com')).toBe('must use https (http only on localhost)');
    expect(originProblem('http://localhost.example.com', 'example.com')).toBe('must use https (http only on localhost)');
    expect(originProblem('ws://localhost:5173', 'localhost')).toBe('must use https (http only on localhost)');
  });

  it('names what is wrong with anything else', () => {
    expect(originProblem('app.example.com', 'example.com')).toBe('is not a URL');
    expect(originProblem('', 'example.com')).toBe('is not a URL');
    expect(originProblem('https://app.example.com/', 'example.com')).toBe('must be an origin as browsers send it (https://app.example.com)');
    expect(originProblem('https://App.Example.com', 'example.com')).toBe('must be an origin as browsers send it (https://app.example.com)');
    expect(originProblem('https://evilexample.com', 'example.com')).toBe('must be on example.com or a subdomain of it');
    expect(originProblem('https://example.com.evil.test', 'example.com')).toBe('must be on example.com or a subdomain of it');
    expect(originProblem('https://other.test', 'example.com')).toBe('must be on example.com or a subdomain of it');
  });
});

describe('passkeyConfigSchema', () => {
  it('reads PASSKEY_ORIGINS as a comma-separated list, spaces and empty entries dropped', () => {
    const config = parseConfig(passkeyConfigSchema, { ...env, PASSKEY_ORIGINS: 'https://app.example.test , https://example.test,' });
    expect(config.PASSKEY_ORIGINS).toEqual(['https://app.example.test', 'https://example.test']);
  });

  it('refuses each origin that does not fit the RP ID, naming the variable, the origin and the problem', () => {
    const problems = problemsOf(() => parseConfig(passkeyConfigSchema, { ...env, PASSKEY_ORIGINS: 'https://other.test,https://app.example.test,http://example.test' }));
    expect(problems).toEqual([
      'PASSKEY_ORIGINS: https://other.test must be on example.test or a subdomain of it',
      'PASSKEY_ORIGINS: http://example.test must use https (http only on localhost)',
    ]);
  });

  it('takes PASSKEY_RP_ID as a domain name, trimmed and lower-cased', () => {
    expect(parseConfig(passkeyConfigSchema, { ...env, PASSKEY_RP_ID: ' Example.Test ' }).PASSKEY_RP_ID).toBe('example.test');
    expect(parseConfig(passkeyConfigSchema, { ...env, PASSKEY_RP_ID: 'localhost', PASSKEY_ORIGINS: 'http://localhost:5173' }).PASSKEY_RP_ID).toBe('localhost');
    expect(parseConfig(passkeyConfigSchema, { ...env, PASSKEY_RP_ID: '1password.example.test', PASSKEY_ORIGINS: 'https://1password.example.test' }).PASSKEY_RP_ID).toBe(
      '1password.example.test',
    );
  });

  it.each(['127.0.0.1', '10.0.0.2', '192.168.1.10', '0x7f.1', 'example.123'])(
    'refuses PASSKEY_RP_ID=%s: browsers take a host ending in a number for an IP address, and refuse IP addresses as RP IDs',
    (rpId) => {
      expect(problemsOf(() => parseConfig(passkeyConfigSchema, { ...env, PASSKEY_RP_ID: rpId, PASSKEY_ORIGINS: `https://${rpId}` }))).toContain(
        'PASSKEY_RP_ID: must be a domain name, not an IP address: browsers refuse IP addresses as RP IDs',
      );
    },
  );

  it('refuses a PASSKEY_RP_ID that is no host name', () => {
    expect(problemsOf(() => parseConfig(passkeyConfigSchema, { ...env, PASSKEY_RP_ID: 'https://example.test' }))).toContain(
      'PASSKEY_RP_ID: must be a host name such as example.com',
    );
  });

  it('leaves unset relying-party variables unset, with nothing invented to check', () => {
    const config = parseConfig(passkeyConfigSchema, { PASSKEY_RP_ID: 'example.test' });
    expect(config).toMatchObject({ PASSKEY_RP_ID: 'example.test', PASSKEY_USER_VERIFICATION: 'required' });
    expect(config.PASSKEY_ORIGINS).toBeUndefined();
  });
});

describe('completeConfig', () => {
  it('outside development, names every unset relying-party variable', () => {
    expect(problemsOf(() => completeConfig(parseConfig(passkeyConfigSchema, { PASSKEY_RP_ID: 'example.test' }), null))).toEqual([
      'PASSKEY_RP_NAME is required',
      'PASSKEY_ORIGINS is required',
      'PASSKEY_CHALLENGE_SECRET is required',
    ]);
    expect(completeConfig(parseConfig(passkeyConfigSchema, env), null)).toMatchObject({ ...env, PASSKEY_ORIGINS: ['https://app.example.test'] });
  });

  it('under development, fills in only what is unset, and checks the origins it ends up with', () => {
    const fallback = developmentRelyingParty();
    const completed = completeConfig(parseConfig(passkeyConfigSchema, { PASSKEY_RP_NAME: 'Mine' }), fallback);
    expect(completed).toMatchObject({ ...fallback, PASSKEY_RP_NAME: 'Mine' });
    expect(problemsOf(() => completeConfig(parseConfig(passkeyConfigSchema, { PASSKEY_RP_ID: 'example.test' }), fallback))).toEqual(
      fallback.PASSKEY_ORIGINS.map((origin) => `PASSKEY_ORIGINS: ${origin} must be on example.test or a subdomain of it`),
    );
  });
});

describe('developmentRelyingParty', () => {
  it('is localhost with the usual dev-server origins', () => {
    expect(developmentRelyingParty()).toMatchObject({
      PASSKEY_RP_ID: 'localhost',
      PASSKEY_RP_NAME: 'Passkeys (development)',
      PASSKEY_ORIGINS: ['http://localhost:5173', 'http://localhost:3000', 'http://localhost:8787'],
    });
  });

  it('makes a fresh challenge key of 32 random bytes, in 64 hex digits, each time', () => {
    const secrets = Array.from({ length: 16 }, () => developmentRelyingParty().PASSKEY_CHALLENGE_SECRET);
    for (const secret of secrets) expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
  });
});
