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
import { KitError } from '../../shared/errors.js';
import type { RequestFacts } from '../../shared/http.js';
import { createLogger } from '../../shared/log.js';
import { createMemoryOnceStore } from '../../shared/once/memory-store.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import type { UsersDirectory } from '../../shared/users.js';
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

/** Builds the app over the embedded Appwrite; `faults` replaces methods of its users directory or passkey store (an outage at one step). */
function build(overrides: Record<string, string> = {}, faults: { users?: Partial<UsersDirectory>; passkeys?: Partial<PasskeyStore> } = {}) {
  const connection = { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 };
  const logger = createLogger((line) => logLines.push(line));
  const platform = createTestPlatform({ connection, clock: dev.clock, logger });
  passkeys = createMemoryPasskeyStore();
  app = createPasskeyApp(completeConfig(parseConfig(passkeyConfigSchema, { ...env, ...overrides }), null), {
    users: { ...platform.users, ...faults.users },
    rateLimitStore: createMemoryStore({ clock: dev.clock }),
    once: createMemoryOnceStore({ clock: dev.clock }),
    passkeys: { ...passkeys, ...faults.passkeys },
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

/** POSTs JSON from a client at 203.0.113.7, or with the request facts given (`null`: none at all). */
async function post(path: string, body: unknown, facts: RequestFacts | null = { clientIp: '203.0.113.7' }) {
  const response = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, facts ?? undefined);
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
  return options.body as { challenge: string; rpId: string; userVerification?: string; allowCredentials?: { id: string }[] };
}

/** The log lines of one event, each as its fields (`key=value`, string values JSON-quoted). */
function logged(event: string): Record<string, string>[] {
  return logLines
    .filter((line) => line === event || line.startsWith(`${event} `))
    .map((line) =>
      Object.fromEntries([...line.matchAll(/ (\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map(([, key, value]) => [key!, value!.startsWith('"') ? (JSON.parse(value!) as string) : value!])),
    );
}

/** The hashed reference logs and limits use for a credential ID. */
const REFERENCE = /^acct:user:[0-9a-f]{32}$/;

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
    expect(logged('passkey_rejected')).toEqual([{ reason: 'not_the_username_passkey', credential: expect.stringMatching(REFERENCE) }]);
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
    const { userId } = (await passkeys.listByUser(await userIdForUsername('alice')))[0]!;
    const credential = expect.stringMatching(REFERENCE);
    expect(logged('passkey_counter_regression')).toEqual([
      { userId, credential, stored: '5', received: '5' },
      { userId, credential, stored: '5', received: '3' },
    ]);
    expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { counter: 6 }) })).status).toBe(200);
    // An authenticator that counted, then reports 0 (as a clone that keeps no counter would).
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { counter: 0 }) })).toMatchObject({ status: 401 });
    expect(logged('passkey_counter_regression').at(-1)).toMatchObject({ stored: '6', received: '0' });
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
    // The refusal names the credential as its rejections did; another credential still signs in.
    const [rejected] = logged('passkey_rejected');
    expect(logged('rate_limited')).toEqual([expect.objectContaining({ scope: 'passkey.credential', credential: rejected!.credential })]);
    const other = createSoftAuthenticator({ origin: ORIGIN });
    expect((await post('/sign-up/verify', { response: other.create((await post('/sign-up/options', { username: 'bob' })).body as never) })).status).toBe(200);
    expect((await post('/sign-in/verify', { response: other.get(await signInOptions('bob')) })).status).toBe(200);
  });

  it('bounds sign-ups across everyone (PASSKEY_LIMIT_SIGN_UP_ALL): past it, 429 with no user and no passkey; a registration that fails to verify spends nothing', async () => {
    build({ PASSKEY_LIMIT_SIGN_UP_ALL: '2/3600' });
    // From as many addresses as the sender likes: the per-IP limit does not bound a distributed burst.
    const from = (n: number) => ({ clientIp: `198.51.100.${n}` });
    const options = async (username: string, n: number) => (await post('/sign-up/options', { username }, from(n))).body as never;
    const wrongOrigin = createSoftAuthenticator({ origin: 'https://evil.test' });
    expect((await post('/sign-up/verify', { response: wrongOrigin.create(await options('mallory', 1)) }, from(1))).status).toBe(401);
    expect((await post('/sign-up/verify', { response: authenticator.create(await options('alice', 2)) }, from(2))).status).toBe(200);
    expect((await post('/sign-up/verify', { response: authenticator.create(await options('bob', 3)) }, from(3))).status).toBe(200);

    const refused = await post('/sign-up/verify', { response: authenticator.create(await options('carol', 4)) }, from(4));
    expect(refused).toMatchObject({ status: 429, body: { type: 'rate_limited' } });
    const carol = await userIdForUsername('carol');
    await expect(dev.users().get({ userId: carol })).rejects.toMatchObject({ code: 404 });
    expect(await passkeys.listByUser(carol)).toEqual([]);
    expect(logged('rate_limited')).toEqual([expect.objectContaining({ scope: 'passkey.sign-up.all', rule: '2/3600' })]);
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

  it('answers passkey_not_found for a passkey deleted meanwhile by another request', async () => {
    build({}, { passkeys: { delete: async () => false } });
    await dev.users().create({ userId: 'carol' });
    const jwt = await jwtFor('carol');
    const added = await post('/add/verify', { jwt, response: authenticator.create((await post('/add/options', { jwt })).body as never) });
    expect(await post('/passkeys/delete', { jwt, credentialId: added.body.credentialId })).toMatchObject({ status: 404, body: { type: 'passkey_not_found' } });
    expect(logged('passkey_deleted')).toEqual([]);
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

describe('client data and challenges the function cannot read', () => {
  it('refuses client data that is not JSON, has no challenge string, or a challenge it cannot decode, as challenge_invalid', async () => {
    await signUp('alice');
    const options = await signInOptions();
    const honest = authenticator.get(options);
    const withClientData = (clientData: string) => ({ ...honest, response: { ...honest.response, clientDataJSON: Buffer.from(clientData).toString('base64url') } });
    for (const response of [
      withClientData('not json'),
      withClientData(JSON.stringify({ type: 'webauthn.get', origin: ORIGIN })),
      withClientData(JSON.stringify({ type: 'webauthn.get', challenge: 42, origin: ORIGIN })),
      authenticator.get(options, { challenge: 'AAAAA' }),
    ]) {
      expect(await post('/sign-in/verify', { response })).toMatchObject({ status: 400, body: { type: 'challenge_invalid' } });
    }
    expect((await post('/sign-in/verify', { response: honest })).status).toBe(200);
  });
});

describe('what the log says', () => {
  it('logs each refused sign-in as passkey_rejected with its reason, naming the credential by a hashed reference, never its ID', async () => {
    const { userId } = await signUp('alice');
    const stranger = createSoftAuthenticator({ origin: ORIGIN });
    stranger.create({ challenge: 'x', rp: { id: 'example.test' }, user: { id: 'eA' } });
    await post('/sign-in/verify', { response: stranger.get(await signInOptions()) });
    await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { tamperSignature: true }) });
    const [unknown, tampered] = logged('passkey_rejected');
    expect(unknown).toEqual({ reason: 'unknown_credential', credential: expect.stringMatching(REFERENCE) });
    expect(tampered).toEqual({ reason: 'assertion_not_verified', credential: expect.stringMatching(REFERENCE), userId });
    expect(tampered!.credential).not.toBe(unknown!.credential);
    for (const id of [stranger.credentials[0]!.id, authenticator.credentials[0]!.id]) {
      expect(logLines.join('\n')).not.toContain(id.toString('base64url'));
    }
  });

  it("logs what the WebAuthn library refused, cut to 200 characters however long the client's claim", async () => {
    const { userId } = await signUp('alice');
    const longOrigin = `https://${'a'.repeat(300)}.evil.test`;
    expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { origin: longOrigin }) })).status).toBe(401);
    expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { userVerified: false }) })).status).toBe(401);
    const options = (await post('/sign-up/options', { username: 'carol' })).body;
    expect((await post('/sign-up/verify', { response: authenticator.create(options as never, { origin: longOrigin }) })).status).toBe(401);

    const [origin, unverified, registration] = logged('passkey_rejected');
    expect(origin).toMatchObject({ reason: 'assertion_not_verified', userId });
    expect(origin!.detail).toBe(`Error: Unexpected authentication response origin "${longOrigin}"`.slice(0, 200));
    expect(unverified).toMatchObject({ reason: 'assertion_not_verified', userId, detail: expect.stringContaining('User verification required') });
    expect(registration).toMatchObject({ reason: 'registration_not_verified', credential: expect.stringMatching(REFERENCE) });
    expect(registration!.detail).toBe(`Error: Unexpected registration response origin "${longOrigin}"`.slice(0, 200));
    expect((await dev.users().list()).total).toBe(1);
  });

  it('refuses a registration whose attestation signature does not verify, and creates no user', async () => {
    const options = (await post('/sign-up/options', { username: 'carol' })).body;
    expect(await post('/sign-up/verify', { response: authenticator.create(options as never, { attestation: 'packed', tamperSignature: true }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect(logged('passkey_rejected')).toEqual([{ reason: 'registration_not_verified', credential: expect.stringMatching(REFERENCE) }]);
    expect((await dev.users().list()).total).toBe(0);
    // The same, signed honestly, is a passkey like any other.
    const again = (await post('/sign-up/options', { username: 'carol' })).body;
    expect((await post('/sign-up/verify', { response: authenticator.create(again as never, { attestation: 'packed' }) })).status).toBe(200);
  });

  it('logs user_registered, passkey_added and passkey_deleted with the user', async () => {
    const { userId } = await signUp('alice');
    expect(logged('user_registered')).toEqual([{ userId, method: 'passkey' }]);
    const jwt = await jwtFor(userId);
    const second = createSoftAuthenticator({ origin: ORIGIN });
    const added = await post('/add/verify', { jwt, response: second.create((await post('/add/options', { jwt })).body as never) });
    expect(logged('passkey_added')).toEqual([{ userId }]);
    expect((await post('/passkeys/delete', { jwt, credentialId: added.body.credentialId })).status).toBe(204);
    expect(logged('passkey_deleted')).toEqual([{ userId }]);
  });
});

describe('who a sign-in is for', () => {
  it('refuses an assertion whose user handle names another user, and accepts one without a user handle', async () => {
    await signUp('alice');
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions(), { userHandle: Buffer.from('pw-mallory') }) })).toMatchObject({
      status: 401,
      body: { type: 'passkey_invalid' },
    });
    expect(logged('passkey_rejected')).toEqual([{ reason: 'user_handle_mismatch', credential: expect.stringMatching(REFERENCE) }]);
    expect((await post('/sign-in/verify', { response: authenticator.get(await signInOptions('alice'), { userHandle: null }) })).status).toBe(200);
  });

  it('refuses the passkey of a user deleted from Appwrite, logging user_deleted', async () => {
    const { userId } = await signUp('alice');
    await dev.users().delete({ userId });
    expect(await post('/sign-in/verify', { response: authenticator.get(await signInOptions()) })).toMatchObject({ status: 401, body: { type: 'passkey_invalid' } });
    expect(logged('passkey_rejected')).toEqual([{ reason: 'user_deleted', credential: expect.stringMatching(REFERENCE), userId }]);
  });
});

describe('registrations that cannot be kept', () => {
  it('stores a passkey whose response names no transports as having none', async () => {
    const options = (await post('/sign-up/options', { username: 'alice' })).body;
    const { userId } = (await post('/sign-up/verify', { response: authenticator.create(options as never, { transports: null }) })).body;
    expect((await passkeys.listByUser(userId))[0]!.transports).toEqual([]);
  });

  it('refuses a credential ID registered before, to anyone, and creates no user for it', async () => {
    const { userId } = await signUp('alice');
    const taken = authenticator.credentials[0]!.id;
    const options = (await post('/sign-up/options', { username: 'bob' })).body;
    const response = createSoftAuthenticator({ origin: ORIGIN }).create(options as never, { credentialId: taken });
    expect(await post('/sign-up/verify', { response })).toMatchObject({ status: 401, body: { type: 'passkey_invalid' } });
    expect(logged('passkey_rejected')).toEqual([{ reason: 'credential_already_registered', credential: expect.stringMatching(REFERENCE) }]);
    expect((await dev.users().list()).total).toBe(1);
    expect((await passkeys.get(taken.toString('base64url')))?.userId).toBe(userId);
  });

  it('answers username_taken to the sign-up that lost the race for its name, and keeps only the winner\'s passkey', async () => {
    const rival = createSoftAuthenticator({ origin: ORIGIN });
    const mine = authenticator.create((await post('/sign-up/options', { username: 'dana' })).body as never);
    const theirs = rival.create((await post('/sign-up/options', { username: 'dana' })).body as never);
    expect((await post('/sign-up/verify', { response: mine })).status).toBe(200);
    expect(await post('/sign-up/verify', { response: theirs })).toMatchObject({ status: 409, body: { type: 'username_taken' } });
    expect((await passkeys.listByUser(await userIdForUsername('dana'))).map((passkey) => passkey.credentialId)).toEqual([mine.id]);
  });

  it('removes the passkey of a user Appwrite could not create, and logs passkey_orphaned when even that fails', async () => {
    const down = () => Promise.reject(new KitError('appwrite_unavailable', 'Appwrite is unavailable.'));
    build({}, { users: { create: down } });
    const userId = await userIdForUsername('erin');
    const options = (await post('/sign-up/options', { username: 'erin' })).body;
    expect(await post('/sign-up/verify', { response: authenticator.create(options as never) })).toMatchObject({ status: 503, body: { type: 'appwrite_unavailable' } });
    expect(await passkeys.listByUser(userId)).toEqual([]);
    expect(logged('passkey_orphaned')).toEqual([]);

    build({}, { users: { create: down }, passkeys: { delete: () => Promise.reject(new Error('store down')) } });
    const again = (await post('/sign-up/options', { username: 'erin' })).body;
    expect(await post('/sign-up/verify', { response: authenticator.create(again as never) })).toMatchObject({ status: 503, body: { type: 'appwrite_unavailable' } });
    expect(logged('passkey_orphaned')).toEqual([{ userId }]);
  });

  it('answers a passkey store failure as a server error, not as a bad passkey, and creates no user', async () => {
    build({}, { passkeys: { add: () => Promise.reject(new Error('store down')) } });
    const options = (await post('/sign-up/options', { username: 'alice' })).body;
    expect(await post('/sign-up/verify', { response: authenticator.create(options as never) })).toMatchObject({ status: 500, body: { type: 'internal_error' } });
    expect(logged('passkey_rejected')).toEqual([]);
    expect((await dev.users().list()).total).toBe(0);
  });
});

describe('options', () => {
  it('asks for a discoverable credential, verified, with no attestation, in one of EdDSA, ES256, RS256', async () => {
    const options = await post('/sign-up/options', { username: 'alice' });
    expect(options.body).toMatchObject({
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      attestation: 'none',
      timeout: 120_000,
      rp: { id: 'example.test', name: 'Example' },
      user: { name: 'alice', id: Buffer.from(await userIdForUsername('alice')).toString('base64url') },
    });
    expect(options.body.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual([-8, -7, -257]);
    expect((await signInOptions()).userVerification).toBe('required');
  });

  it('with PASSKEY_USER_VERIFICATION=preferred, says so and accepts a passkey that only saw presence', async () => {
    build({ PASSKEY_USER_VERIFICATION: 'preferred' });
    const options = (await post('/sign-up/options', { username: 'alice' })).body;
    expect(options.authenticatorSelection.userVerification).toBe('preferred');
    expect((await post('/sign-up/verify', { response: authenticator.create(options as never, { userVerified: false }) })).status).toBe(200);
    const request = await signInOptions();
    expect(request.userVerification).toBe('preferred');
    expect((await post('/sign-in/verify', { response: authenticator.get(request, { userVerified: false }) })).status).toBe(200);
  });

  it("names an added passkey after the user's email, else the name, else the user ID", async () => {
    await dev.users().create({ userId: 'dave', name: 'Dave' });
    await dev.users().create({ userId: 'erin' });
    expect((await post('/add/options', { jwt: await jwtFor('dave') })).body.user.name).toBe('Dave');
    expect((await post('/add/options', { jwt: await jwtFor('erin') })).body.user.name).toBe('erin');
  });

  it('refuses to add a passkey past PASSKEY_MAX_PER_USER, at options and at verify', async () => {
    build({ PASSKEY_MAX_PER_USER: '2' });
    const { userId } = await signUp('alice');
    const jwt = await jwtFor(userId);
    const first = await post('/add/options', { jwt });
    const second = await post('/add/options', { jwt });
    expect((await post('/add/verify', { jwt, response: createSoftAuthenticator({ origin: ORIGIN }).create(first.body as never) })).status).toBe(201);
    expect(await post('/add/options', { jwt })).toMatchObject({ status: 409, body: { type: 'passkey_limit_reached' } });
    const late = createSoftAuthenticator({ origin: ORIGIN }).create(second.body as never);
    expect(await post('/add/verify', { jwt, response: late })).toMatchObject({ status: 409, body: { type: 'passkey_limit_reached' } });
    expect(await passkeys.listByUser(userId)).toHaveLength(2);
  });
});

describe('limits', () => {
  it('counts requests per client IP per flow: options and verify share a budget; other flows and addresses have their own', async () => {
    /** Each flow: its first two requests (options and verify, or list and delete), and the request a spent budget of 2 refuses. */
    const flows: { scope: string; use: (jwt: string) => Promise<number[]>; again: (jwt: string, facts?: RequestFacts) => Promise<number> }[] = [
      {
        scope: 'passkey.sign-up.ip',
        use: async () => {
          const options = await post('/sign-up/options', { username: 'bob' });
          return [options.status, (await post('/sign-up/verify', { response: createSoftAuthenticator({ origin: ORIGIN }).create(options.body as never) })).status];
        },
        again: async (_jwt, facts) => (await post('/sign-up/options', { username: 'zed' }, facts)).status,
      },
      {
        scope: 'passkey.sign-in.ip',
        use: async () => {
          const options = await post('/sign-in/options', {});
          return [options.status, (await post('/sign-in/verify', { response: authenticator.get(options.body as never) })).status];
        },
        again: async (_jwt, facts) => (await post('/sign-in/options', {}, facts)).status,
      },
      {
        scope: 'passkey.add.ip',
        use: async (jwt) => {
          const options = await post('/add/options', { jwt });
          return [options.status, (await post('/add/verify', { jwt, response: createSoftAuthenticator({ origin: ORIGIN }).create(options.body as never) })).status];
        },
        again: async (jwt, facts) => (await post('/add/options', { jwt }, facts)).status,
      },
      {
        scope: 'passkey.manage.ip',
        use: async (jwt) => {
          const list = await post('/passkeys/list', { jwt });
          return [list.status, (await post('/passkeys/delete', { jwt, credentialId: list.body.passkeys[0].credentialId })).status];
        },
        again: async (jwt, facts) => (await post('/passkeys/list', { jwt }, facts)).status,
      },
    ];
    for (const [index, flow] of flows.entries()) {
      build();
      authenticator = createSoftAuthenticator({ origin: ORIGIN });
      const { userId } = await signUp(`user${index}`);
      const [stored] = await passkeys.listByUser(userId);
      const jwt = await jwtFor(userId);
      build({ PASSKEY_LIMIT_IP: '2/60' });
      await passkeys.add(stored!);
      logLines = [];
      expect((await flow.use(jwt)).every((status) => status < 300), flow.scope).toBe(true);
      expect(await flow.again(jwt), flow.scope).toBe(429);
      expect(logged('rate_limited').map((line) => line.scope)).toEqual([flow.scope]);
      expect(await flow.again(jwt, { clientIp: '198.51.100.9' }), `${flow.scope} from another address`).toBe(200);
      for (const other of flows) if (other !== flow) expect(await other.again(jwt), `${other.scope} once ${flow.scope} is spent`).toBe(200);
    }
  });

  it('counts a request whose client IP is unknown in one shared bucket', async () => {
    build({ PASSKEY_LIMIT_IP: '2/60' });
    expect((await post('/sign-in/options', {}, null)).status).toBe(200);
    expect((await post('/sign-in/options', {}, { clientIp: null })).status).toBe(200);
    expect(await post('/sign-in/options', {}, { clientIp: 'not an address' })).toMatchObject({ status: 429, body: { type: 'rate_limited' } });
    expect((await post('/sign-in/options', {})).status).toBe(200);
  });

  it('counts options per typed username, across sign-up and sign-in and whatever its case; a sign-in without one is not counted', async () => {
    build({ PASSKEY_LIMIT_USERNAME: '2/60' });
    expect((await post('/sign-up/options', { username: 'alice' })).status).toBe(200);
    expect((await post('/sign-in/options', { username: 'Alice' })).status).toBe(200);
    expect(await post('/sign-in/options', { username: 'ALICE' })).toMatchObject({ status: 429, body: { type: 'rate_limited' } });
    expect(await post('/sign-up/options', { username: 'alice' })).toMatchObject({ status: 429, body: { type: 'rate_limited' } });
    expect(logged('rate_limited').map((line) => line.scope)).toEqual(['passkey.username', 'passkey.username']);
    for (let request = 0; request < 3; request++) expect((await post('/sign-in/options', {})).status).toBe(200);
    expect((await post('/sign-in/options', { username: 'bob' })).status).toBe(200);
  });
});

describe('CORS', () => {
  it('answers CORS for the configured origins only', async () => {
    build({ CORS_ALLOWED_ORIGINS: ORIGIN });
    const preflight = (origin: string) =>
      app.request('/sign-in/options', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await preflight(ORIGIN)).headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await preflight('https://evil.test')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
