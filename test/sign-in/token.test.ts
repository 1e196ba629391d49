/**
 * Token settings and `issueToken`: the `<FN>_TOKEN_LENGTH` / `<FN>_TOKEN_EXPIRE` schemas stay inside
 * Appwrite's bounds and a function's own, a blocked user gets no token at all, and an issued
 * secret opens a session with the `appwrite` web SDK. Users live in the embedded Appwrite.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { KitError } from '../../shared/errors.js';
import { APPWRITE_TOKEN_BOUNDS, issueToken, tokenExpire, tokenLength } from '../../shared/sign-in/token.js';
import type { UsersDirectory } from '../../shared/users.js';
import { START_MS, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { captureLogs, connectionTo, expectNoSecretIn, openSession, recordingSecrets } from './helpers.js';

/** Whether a schema accepts a value given as an environment variable would give it. */
const accepts = (schema: z.ZodType, value: string | undefined) => schema.safeParse(value).success;

describe('tokenLength', () => {
  it('accepts Appwrite’s bounds 4-128 and refuses what lies outside', () => {
    const schema = tokenLength({ default: 64 });
    for (const value of ['4', '5', '64', '127', '128']) expect(accepts(schema, value), value).toBe(true);
    for (const value of ['3', '0', '-1', '129', '1000', '64.5', 'abc', '']) expect(accepts(schema, value), value).toBe(false);
    expect(schema.parse(undefined)).toBe(64);
    expect(schema.parse('32')).toBe(32);
  });

  it('keeps a function’s narrower bounds', () => {
    const schema = tokenLength({ min: 32, max: 96, default: 64 });
    for (const value of ['32', '96']) expect(accepts(schema, value), value).toBe(true);
    for (const value of ['4', '31', '97', '128']) expect(accepts(schema, value), value).toBe(false);
  });

  it('throws at definition for a bound or default outside Appwrite’s', () => {
    // The message names the variable's kind and the bound, so the developer knows which call to fix.
    expect(() => tokenLength({ min: 3, default: 64 })).toThrow(new TypeError("Token length bound 3 is outside Appwrite's 4-128."));
    expect(() => tokenLength({ max: 129, default: 64 })).toThrow(new TypeError("Token length bound 129 is outside Appwrite's 4-128."));
    expect(() => tokenLength({ default: 200 })).toThrow(new TypeError("Token length bound 200 is outside Appwrite's 4-128."));
    expect(() => tokenLength({ default: 2 })).toThrow(TypeError);
    expect(() => tokenLength({ min: 8.5, default: 64 })).toThrow(TypeError);
  });

  it('throws at definition for a default outside the function’s own bounds, or bounds the wrong way round', () => {
    // An unset variable takes the default without being checked against min and max, so a default
    // outside them would give secrets the function said it never issues.
    expect(() => tokenLength({ min: 32, default: 16 })).toThrow(new TypeError("Token length default 16 is outside the function's 32-128."));
    expect(() => tokenLength({ max: 16, default: 64 })).toThrow(new TypeError("Token length default 64 is outside the function's 4-16."));
    expect(() => tokenLength({ min: 64, max: 32, default: 48 })).toThrow(new TypeError('Token length bounds 64-32 are the wrong way round.'));
  });

  it('takes a fixed length (min = max = default)', () => {
    const schema = tokenLength({ min: 32, max: 32, default: 32 });
    expect(schema.parse(undefined)).toBe(32);
    expect(accepts(schema, '33')).toBe(false);
  });
});

describe('tokenExpire', () => {
  it('accepts Appwrite’s bounds 60-31536000 seconds and refuses what lies outside', () => {
    const schema = tokenExpire({ default: 60 });
    for (const value of ['60', '61', '900', '31535999', '31536000']) expect(accepts(schema, value), value).toBe(true);
    for (const value of ['59', '0', '-60', '31536001', '1e9', '60.5', 'soon']) expect(accepts(schema, value), value).toBe(false);
    expect(schema.parse(undefined)).toBe(60);
  });

  it('keeps a function’s narrower bounds', () => {
    const schema = tokenExpire({ max: 900, default: 60 });
    for (const value of ['60', '900']) expect(accepts(schema, value), value).toBe(true);
    for (const value of ['59', '901', '31536000']) expect(accepts(schema, value), value).toBe(false);
  });

  it('throws at definition for a bound or default outside Appwrite’s or the function’s own', () => {
    expect(() => tokenExpire({ min: 59, default: 60 })).toThrow(new TypeError("Token expire bound 59 is outside Appwrite's 60-31536000."));
    expect(() => tokenExpire({ max: 31_536_001, default: 60 })).toThrow(TypeError);
    expect(() => tokenExpire({ default: 30 })).toThrow(TypeError);
    expect(() => tokenExpire({ max: 900, default: 3600 })).toThrow(new TypeError("Token expire default 3600 is outside the function's 60-900."));
    expect(() => tokenExpire({ min: 900, max: 300, default: 600 })).toThrow(new TypeError('Token expire bounds 900-300 are the wrong way round.'));
  });

  it('takes a default at either end of the function’s bounds', () => {
    expect(tokenExpire({ min: 300, max: 900, default: 900 }).parse(undefined)).toBe(900);
    expect(tokenExpire({ min: 300, max: 900, default: 300 }).parse(undefined)).toBe(300);
  });

  it('states Appwrite’s bounds as the Users API does', () => {
    expect(APPWRITE_TOKEN_BOUNDS).toEqual({ length: { min: 4, max: 128 }, expire: { min: 60, max: 31_536_000 } });
  });
});

describe('issueToken', () => {
  let dev: RunningDevAppwrite;
  const secrets: string[] = [];
  const capture = captureLogs();
  let users: UsersDirectory;

  beforeAll(async () => {
    dev = await startDevAppwrite();
    users = recordingSecrets(createAppwriteUsers(connectionTo(dev), capture.logger), secrets);
  });
  afterAll(() => dev.close());
  beforeEach(() => dev.reset());
  afterEach(() => expectNoSecretIn(capture.lines, secrets));

  it('refuses a blocked user with 403 user_blocked, and Appwrite holds no token for them', async () => {
    await dev.users().create({ userId: 'blocked', email: 'blocked@example.com' });
    await dev.users().updateStatus({ userId: 'blocked', status: false });
    const user = (await users.get('blocked'))!;
    expect(user.enabled).toBe(false);

    const error = await issueToken({ users, logger: capture.logger }, user, { length: 64, expire: 60 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KitError);
    expect(error).toMatchObject({ type: 'user_blocked', status: 403, message: 'This account is blocked.' });
    expect(dev.store.tokensOf('blocked')).toEqual([]);
    expect(dev.store.tokens.size).toBe(0);
    expect(capture.lines.at(-1)).toBe('token_refused userId="blocked" reason="user_blocked"');
  });

  it('issues a token of the asked length and lifetime that the web SDK exchanges for a session, once', async () => {
    await dev.users().create({ userId: 'alice', email: 'alice@example.com' });
    const user = (await users.get('alice'))!;

    const token = await issueToken({ users, logger: capture.logger }, user, { length: 48, expire: 600 });
    expect(token.userId).toBe('alice');
    expect(token.secret).toMatch(/^[0-9a-f]{48}$/);
    expect(Date.parse(token.expire)).toBe(START_MS + 600_000);
    expect(dev.store.tokensOf('alice')).toHaveLength(1);
    expect(capture.lines.at(-1)).toBe(`token_issued userId="alice" expire=${JSON.stringify(token.expire)}`);

    expect(await openSession(dev, 'alice', token.secret)).toBe('alice');
    expect(dev.store.tokensOf('alice')).toEqual([]);
    await expect(openSession(dev, 'alice', token.secret)).rejects.toMatchObject({ code: 401 });
  });
});
