/**
 * The auth0 function's variables (the redirect flow all or nothing, its secrets and origins
 * checked, errors naming variables and never values) and the pure mapping of claims to Appwrite:
 * the new user's profile, role labels, and copied prefs.
 */
import { describe, expect, it } from 'vitest';
import { copiedClaims, MAX_ROLE_LABELS, mergeLabels, mergePrefs, profileFrom, rolesToLabels, sameLabels } from '../../functions/auth0/claims.js';
import { auth0ConfigSchema } from '../../functions/auth0/config.js';
import { isAllowedRedirect, redirectOriginProblem } from '../../functions/auth0/redirects.js';
import { ConfigError, parseConfig } from '../../shared/config.js';
import { COOKIE_SECRET } from './helpers.js';

const flowEnv = {
  AUTH0_CALLBACK_URL: 'https://kit.example.com/auth0/callback',
  AUTH0_CLIENT_ID: 'client',
  AUTH0_CLIENT_SECRET: 'client-secret-value',
  AUTH0_COOKIE_SECRET: COOKIE_SECRET,
  AUTH0_REDIRECT_ORIGINS: 'https://app.example.com, http://localhost:5173',
};

function problemsOf(env: Record<string, string>): string {
  try {
    parseConfig(auth0ConfigSchema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  }
  throw new Error('the config was accepted');
}

describe('auth0 config', () => {
  it('needs nothing: npm start runs without a tenant, and the redirect flow is off', () => {
    const config = parseConfig(auth0ConfigSchema, {});
    expect(config.redirectFlow).toBeNull();
    expect(config).toMatchObject({ AUTH0_TOKEN_LENGTH: 64, AUTH0_TOKEN_EXPIRE: 60, AUTH0_ONE_TIME_TOKENS: false, AUTH0_LABEL_PREFIX: 'auth0', AUTH0_PREFS_KEY: 'auth0' });
  });

  it('turns the redirect flow on with AUTH0_CALLBACK_URL and every variable it needs', () => {
    expect(parseConfig(auth0ConfigSchema, flowEnv).redirectFlow).toEqual({
      callbackUrl: flowEnv.AUTH0_CALLBACK_URL,
      clientId: 'client',
      clientSecret: 'client-secret-value',
      audience: undefined,
      cookieSecret: COOKIE_SECRET,
      redirectOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });
    for (const name of ['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'AUTH0_COOKIE_SECRET', 'AUTH0_REDIRECT_ORIGINS'] as const) {
      const { [name]: _left, ...rest } = flowEnv;
      expect(problemsOf(rest)).toContain(`${name}: is required for the redirect flow`);
    }
  });

  it('refuses flow secrets without a callback, a short cookie secret, an http callback off localhost, and origins that are not exact', () => {
    expect(problemsOf({ AUTH0_CLIENT_SECRET: 'x' })).toContain('AUTH0_CLIENT_SECRET: is set but the redirect flow is off');
    const short = problemsOf({ ...flowEnv, AUTH0_COOKIE_SECRET: 'too-short-a-secret' });
    expect(short).toContain('AUTH0_COOKIE_SECRET: must be at least 32 bytes');
    expect(short).not.toContain('too-short-a-secret');
    expect(problemsOf({ ...flowEnv, AUTH0_CALLBACK_URL: 'http://kit.example.com/callback' })).toContain('AUTH0_CALLBACK_URL');
    const origins = problemsOf({ ...flowEnv, AUTH0_REDIRECT_ORIGINS: 'https://app.example.com/,http://app.example.com,https://a.example.com' });
    expect(origins).toContain('origin 1 must be an origin exactly');
    expect(origins).toContain('origin 2 must be an https origin');
    expect(origins).not.toContain('origin 3');
    expect(problemsOf({ AUTH0_LABEL_PREFIX: 'auth-0' })).toContain('AUTH0_LABEL_PREFIX');
    expect(problemsOf({ AUTH0_ROLES_CLAIM: 'has space' })).toContain('AUTH0_ROLES_CLAIM');
  });

  it('reads AUTH0_PREFS_CLAIMS as a de-duplicated list', () => {
    expect(parseConfig(auth0ConfigSchema, { AUTH0_PREFS_CLAIMS: ' locale, https://kit.example/plan ,locale,' }).AUTH0_PREFS_CLAIMS).toEqual([
      'locale',
      'https://kit.example/plan',
    ]);
  });
});

describe('redirect allowlist', () => {
  const origins = ['https://app.example.com', 'http://localhost:5173'];
  it('allows URLs on a listed origin exactly, and nothing that only looks like one', () => {
    expect(isAllowedRedirect('https://app.example.com/done?x=1', origins)).toBe(true);
    expect(isAllowedRedirect('http://localhost:5173/', origins)).toBe(true);
    for (const url of ['https://app.example.com:444/', 'https://APP.example.com.evil.test/', 'https://user:pw@app.example.com/', 'https://app.example.com/#x', 'http://localhost:5174/', 'data:,x']) {
      expect(isAllowedRedirect(url, origins), url).toBe(false);
    }
    expect(redirectOriginProblem('https://app.example.com:443')).toMatch(/no default port/);
  });
});

describe('profileFrom', () => {
  it('takes name (else nickname), cut to 128 characters, and the email only when email_verified is true', () => {
    expect(profileFrom({ name: '  Alice  ', nickname: 'al', email: 'A@Example.COM', email_verified: true })).toEqual({ name: 'Alice', email: 'a@example.com' });
    expect(profileFrom({ nickname: 'al', email: 'a@example.com', email_verified: 'true' })).toEqual({ name: 'al' });
    expect(profileFrom({ name: '', nickname: 'nick', email: 'not-an-email', email_verified: true })).toEqual({ name: 'nick' });
    expect(profileFrom({ name: '😀'.repeat(200) }).name).toBe('😀'.repeat(128));
    expect(profileFrom({ name: 'bad \ud800' })).toEqual({});
  });
});

describe('rolesToLabels and mergeLabels', () => {
  it('prefixes, strips to [0-9A-Za-z], de-duplicates, and drops (never cuts) what does not fit', () => {
    expect(rolesToLabels(['admin', 'content-editor', 'content:editor', 'admin', '---', 7, 'x'.repeat(31), 'y'.repeat(32)], 'auth0')).toEqual({
      labels: ['auth0admin', 'auth0contenteditor', `auth0${'x'.repeat(31)}`],
      dropped: 3,
      malformed: false,
    });
    expect(rolesToLabels(undefined, 'auth0')).toEqual({ labels: [], dropped: 0, malformed: false });
    expect(rolesToLabels('admin', 'auth0')).toEqual({ labels: [], dropped: 0, malformed: true });
    const many = rolesToLabels(Array.from({ length: MAX_ROLE_LABELS + 5 }, (_, index) => `r${index}`), 'p');
    expect(many.labels).toHaveLength(MAX_ROLE_LABELS);
    expect(many.dropped).toBe(5);
  });

  it('replaces only the labels with the prefix', () => {
    expect(mergeLabels(['vip', 'auth0admin', 'Auth0keep'], ['auth0viewer'], 'auth0')).toEqual(['vip', 'Auth0keep', 'auth0viewer']);
    expect(mergeLabels(['auth0admin'], [], 'auth0')).toEqual([]);
    expect(sameLabels(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameLabels(['a', 'b'], ['a'])).toBe(false);
  });
});

describe('copiedClaims and mergePrefs', () => {
  it('copy only the named claims the token has, under the key, keeping other prefs, within the size bounds', () => {
    expect(copiedClaims({ locale: 'de', sub: 's', plan: null }, ['locale', 'plan', 'team'])).toEqual({ locale: 'de', plan: null });
    expect(mergePrefs({ theme: 'dark', auth0: { old: 1 } }, 'auth0', { locale: 'de' })).toEqual({ theme: 'dark', auth0: { locale: 'de' } });
    expect(mergePrefs({}, 'auth0', { big: 'x'.repeat(17 * 1024) })).toBeNull();
    expect(mergePrefs({ notes: 'x'.repeat(60 * 1024) }, 'auth0', { locale: 'x'.repeat(6 * 1024) })).toBeNull();
  });
});
