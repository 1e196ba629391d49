/**
 * The passkey function's ceremonies with a software authenticator (`authenticator.ts`), against the
 * embedded Appwrite through the real node-appwrite SDK and the one manual test clock: sign-up,
 * sign-in discoverable and username-first, adding, listing and deleting with an Appwrite JWT, and
 * every refusal the issue names, each with its type.
 */
import { Account, Client } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJwtAccounts } from '../../functions/passkey/account.js';
import { createPasskeyApp } from '../../functions/passkey/app.js';
import { completeConfig, developmentRelyingParty, passkeyConfigSchema } from '../../functions/passkey/config.js';
import { createMemoryPasskeyStore, type PasskeyStore } from '../../functions/passkey/store.js';
import { userIdForUsername } from '../../functions/password/username.js';
import { parseConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { createMemoryOnceStore } from '../../shared/once/memory-store.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform } from '../helpers/platform.js';
import { createSoftAuthenticator, type SoftAuthenticator } from './authenticator.js';

const ORIGIN = 'https://app.example.test';
const env = {
  PASSKEY_RP_ID: 'example.test',
  PASSKEY_RP_NAME: 'Example',
  PASSKEY_ORIGINS: `${ORIGIN},https://example.test`,
  PASSKEY_CHALLENGE_SECRET: 'test-challenge-secret-0123456789abcdef',
  PASSKEY_LIMIT_IP: '1000/60',
};

let dev: RunningDevAppwrite;
let passkeys: PasskeyStore;
let logLines: string[];
let app: ReturnType<typeof createPasskeyApp>;
let authenticator: SoftAuthenticator;

beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());

function build(overrides: Record<string, string> = {}) {
  const connection = { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 };
  const logger = createLogger((line) => logLines.push(line));
  const platform = createTestPlatform({ connection, clock: dev.clock, logger });
  passkeys = createMemoryPasskeyStore();
  app = createPasskeyApp(completeConfig(parseConfig(passkeyConfigSchema, { ...env, ...overrides }), null), {
    users: platform.users,
    rateLimitStore: createMemoryStore({ clock: dev.clock }),
    once: createMemoryOnceStore({ clock: dev.clock }),
    passkeys,
    accounts: createJwtAccounts(connection, logger),
    logger,
    clock: dev.clock,
  });
}

beforeEach(() => {
  dev.reset();
  logLines = [];
  authenticator = createSoftAuthenticator({ origin: ORIGIN });
  build();
});

async function post(path: string, body: unknown) {
  const response = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { clientIp: '203.0.113.7' });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, each test checks the fields it reads
  return { status: response.status, body: (response.status === 204 ? null : await response.json()) as Record<string, any> };
}

/** Signs up `username` with the authenticator; returns the token answer. */
async function signUp(username: string) {
  const options = await post('/sign-up/options', { username });
  expect(options.status).toBe(200);
  const verify = await post('/sign-up/verify', { response: authenticator.create(options.body as never) });
  expect(verify.status).toBe(200);
  return verify.body as { userId: string; secret: string; expire: string };
}

async function signInOptions(username?: string) {
  const options = await post('/sign-in/options', username === undefined ? {} : { username });
  expect(options.status).toBe(200);
  return options.body as { challenge: string; rpId: string; allowCredentials?: { id: string }[] };
}

/** A JWT for a session of `userId`, made as a signed-in client makes one. */
async function jwtFor(userId: string): Promise<string> {
  const token = await dev.users().createToken({ userId });
  const session = await new Account(dev.serverClient()).createSession({ userId, secret: token.secret });
  const client = new Client().setEndpoint(dev.endpoint).setProject(PROJECT_ID).setSession(session.secret);
  return (await new Account(client).createJWT()).jwt;
}

describe('sign-up and sign-in', () => {
  it('signs up with a username, then signs in discoverably and username-first', async () => {
    const token = await signUp('Alice');
    expect(token.userId).toBe(await userIdForUsername('alice'));
    expect(token.secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await dev.users().get({ userId: token.userId })).name).toBe('alice');
    const [stored] = await passkeys.listByUser(token.userId);
    expect(stored).toMatchObject({ counter: 0, deviceType: 'multiDevice', backedUp: true, transports: ['internal'], lastUsedAt: null });

    const discoverable = await signInOptions();
    expect(discoverable.allowCredentials ?? []).toEqual([]);
    expect(discoverable.rpId).toBe('example.test');
    const first = await post('/sign-in/verify', { response: authenticator.get(discoverable) });
    expect(first).toMatchObject({ status: 200, body: { userId: token.userId } });
    expect(first.body.secret).toMatch(/^[0-9a-f]{64}$/);

    const named = await signInOptions('alice');
    expect(named.allowCredentials?.map((entry) => entry.id)).toEqual([stored!.credentialId]);
    expect(await post('/sign-in/verify', { response: authenticator.get(named) })).toMatchObject({ status: 200, body: { userId: token.userId } });
    expect((await passkeys.get(stored!.credentialId))?.lastUsedAt).not.toBeNull();
  });

  it('refuses a taken username, at options and at verify', async () => {
    await signUp('alice');
    expect(await post('/sign-up/options', { username: 'ALICE' })).toMatchObject({ status: 409, body: { type: 'username_taken' } });
    await dev.users().create({ userId: await userIdForUsername('bob') });
    expect(await post('/sign-up/options', { username: 'bob' })).toMatchObject({ status: 409, body: { type: 'username_taken' } });
  });

  it('answers an unknown username with options shaped like a known one', async () => {
    await signUp('alice');
    const known = await signInOptions('alice');
    const unknown = await signInOptions('nobody');
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(known).sort());
    expect(unknown.allowCredentials).toHaveLength(1);
    expect(unknown.allowCredentials![0]!.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Stable: asking twice shows no random decoy.
    expect((await signInOptions('nobody')).allowCredentials).toEqual(unknown.allowCredentials);
  });
});

describe('refusals, each with its type', () => {
  it('refuses a replayed challenge', async () => {
    await signUp('alice');
    const options = await signInOptions();
    expect((await post('/sign-in/verify', { response: authenticator.get(options) })).status).toBe(200);
    expect(await post('/sign-in/verify', { response: authenticator.get(options) })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });
  });

  it('refuses an expired challenge', async () => {
    await signUp('alice');
    const options = await signInOptions();
    dev.clock.advance(120_001);
    expect(await post('/sign-in/verify', { response: authenticator.get(options) })).toMatchObject({ status: 400, body: { type: 'challenge_expired' } });
  });

  it('refuses a challenge it did not sign, and a sign-up challenge used to sign in', async () => {
    await signUp('alice');
    const options = await signInOptions();
    // Well-formed claims for this very flow, but a signature the function never made.
    const claims = Buffer.from(JSON.stringify({ flow: 'sign-in', expiresAt: dev.clock.now() + 60_000, nonce: 'forged' })).toString('base64url');
    const forged = Buffer.from(`${claims}.${Buffer.alloc(32).toString('base64url')}`).toString('base64url');
    expect(await post('/sign-in/verify', { response: authenticator.get(options, { challenge: forged }) })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });
    const signUpOptions = (await post('/sign-up/options', { username: 'carol' })).body as { challenge: string };
    expect(await post('/sign-in/verify', { response: authenticator.get({ ...options, challenge: signUpOptions.challenge }) })).toMatchObject({
      status: 400,
      body: { type: 'challenge_invalid' },
    });
  });

  it('refuses a wrong origin and a wrong RP ID', async () => {
    await signUp('alice');
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { origin: 'https://evil.test' }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { rpId: 'evil.test' }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    const options = (await post('/sign-up/options', { username: 'carol' })).body;
    expect(await post('/sign-up/verify', { response: authenticator.create(options as never, { origin: 'https://example.test.evil.test' }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect((await dev.users().list()).total).toBe(1);
  });

  it('refuses a tampered signature, an unknown credential and a user not verified', async () => {
    await signUp('alice');
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { tamperSignature: true }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    const stranger = createSoftAuthenticator({ origin: ORIGIN });
    stranger.create({ challenge: 'x', rp: { id: 'example.test' }, user: { id: 'eA' } });
    expect(await post('/sign-in/verify', { response: stranger.get(await signInOptions()) })).toMatchObject({ status: 401, body: { type: 'passkey_invalid' } });
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { userVerified: false }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect(logLines.some((line) => line.includes('unknown_credential'))).toBe(true);
  });

  it("refuses another user's passkey for a username-first challenge", async () => {
    await signUp('alice');
    const bobAuthenticator = createSoftAuthenticator({ origin: ORIGIN });
    const options = (await post('/sign-up/options', { username: 'bob' })).body;
    expect((await post('/sign-up/verify', { response: bobAuthenticator.create(options as never) })).status).toBe(200);
    const forAlice = await signInOptions('alice');
    expect(await post('/sign-in/verify', { response: bobAuthenticator.get(forAlice, { credential: bobAuthenticator.credentials[0]! }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
  });

  it('refuses and logs a signature counter that goes backwards', async () => {
    await signUp('alice');
    expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { counter: 5 }) })).status).toBe(200);
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { counter: 5 }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { counter: 3 }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect(logLines.filter((line) => line.startsWith('passkey_counter_regression'))).toHaveLength(2);
    expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { counter: 6 }) })).status).toBe(200);
  });

  it('gives a blocked user no token', async () => {
    const { userId } = await signUp('alice');
    await dev.users().updateStatus({ userId, status: false });
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions()) })).toMatchObject({ status: 403, body: { type: 'user_blocked' } });
  });

  it('limits sign-in attempts per credential before verifying', async () => {
    build({ PASSKEY_LIMIT_CREDENTIAL: '2/60' });
    await signUp('alice');
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { tamperSignature: true }) })).status).toBe(401);
    }
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions()) })).toMatchObject({ status: 429, body: { type: 'rate_limited' } });
  });
});

describe('an existing Appwrite user with a JWT', () => {
  it('adds a passkey, signs in with it, lists and deletes it', async () => {
    await dev.users().create({ userId: 'carol', email: 'carol@example.com', name: 'Carol' });
    const jwt = await jwtFor('carol');
    const options = await post('/add/options', { jwt });
    expect(options).toMatchObject({ status: 200, body: { user: { name: 'carol@example.com' }, excludeCredentials: [] } });
    const added = await post('/add/verify', { jwt, response: authenticator.create(options.body as never) });
    expect(added).toMatchObject({ status: 201, body: { deviceType: 'multiDevice', lastUsedAt: null } });

    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions()) })).toMatchObject({ status: 200, body: { userId: 'carol' } });

    const list = await post('/passkeys/list', { jwt });
    expect(list.body.passkeys).toHaveLength(1);
    expect(list.body.passkeys[0].credentialId).toBe(added.body.credentialId);
    expect(list.body.passkeys[0].publicKey).toBeUndefined();

    const again = await post('/add/options', { jwt });
    expect(again.body.excludeCredentials).toEqual([{ id: added.body.credentialId, type: 'public-key', transports: ['internal'] }]);

    expect((await post('/passkeys/delete', { jwt, credentialId: added.body.credentialId })).status).toBe(204);
    expect((await post('/passkeys/list', { jwt })).body.passkeys).toEqual([]);
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions()) })).toMatchObject({ status: 401, body: { type: 'passkey_invalid' } });
  });

  it("refuses a JWT for another user deleting carol's passkey, and a bad JWT", async () => {
    await dev.users().create({ userId: 'carol' });
    await dev.users().create({ userId: 'mallory' });
    const jwt = await jwtFor('carol');
    const options = await post('/add/options', { jwt });
    const added = await post('/add/verify', { jwt, response: authenticator.create(options.body as never) });
    const mallory = await jwtFor('mallory');
    expect(await post('/passkeys/delete', { jwt: mallory, credentialId: added.body.credentialId })).toMatchObject({ status: 404, body: { type: 'passkey_not_found' } });
    expect((await post('/passkeys/list', { jwt: mallory })).body.passkeys).toEqual([]);
    expect(await post('/passkeys/list', { jwt: `${jwt}x` })).toMatchObject({ status: 401, body: { type: 'session_invalid' } });
    expect((await post('/passkeys/list', { jwt })).body.passkeys).toHaveLength(1);
  });

  it("refuses a challenge issued to another user's session", async () => {
    await dev.users().create({ userId: 'carol' });
    await dev.users().create({ userId: 'mallory' });
    const options = await post('/add/options', { jwt: await jwtFor('mallory') });
    const response = authenticator.create(options.body as never);
    expect(await post('/add/verify', { jwt: await jwtFor('carol'), response })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });
    expect(await passkeys.listByUser('carol')).toEqual([]);
  });
});

describe('config', () => {
  it('refuses origins that are not on the RP ID, not https, or not origins', () => {
    for (const PASSKEY_ORIGINS of ['https://other.test', 'http://app.example.test', 'https://app.example.test/', 'https://app.example.test.evil.test']) {
      expect(() => parseConfig(passkeyConfigSchema, { ...env, PASSKEY_ORIGINS })).toThrow(/PASSKEY_ORIGINS/);
    }
    // Unset outside development: refused, naming each variable.
    const { PASSKEY_RP_ID: _rpId, PASSKEY_CHALLENGE_SECRET: _secret, ...partial } = env;
    expect(() => completeConfig(parseConfig(passkeyConfigSchema, partial), null)).toThrow(/PASSKEY_RP_ID is required; PASSKEY_CHALLENGE_SECRET is required/);
    // Under npm start's development mode: localhost, and a challenge key for this process.
    const development = completeConfig(parseConfig(passkeyConfigSchema, {}), developmentRelyingParty());
    expect(development).toMatchObject({ PASSKEY_RP_ID: 'localhost', PASSKEY_ORIGINS: expect.arrayContaining(['http://localhost:5173']) });
    expect(development.PASSKEY_CHALLENGE_SECRET).toMatch(/^[0-9a-f]{64}$/);
    // A set RP ID is kept, and the development origins (on localhost) do not fit it.
    expect(() => completeConfig(parseConfig(passkeyConfigSchema, { PASSKEY_RP_ID: 'example.test' }), developmentRelyingParty())).toThrow(/PASSKEY_ORIGINS/);
    expect(parseConfig(passkeyConfigSchema, { ...env, PASSKEY_RP_ID: 'localhost', PASSKEY_ORIGINS: 'http://localhost:5173' }).PASSKEY_ORIGINS).toEqual(['http://localhost:5173']);
  });
});
