/**
 * Contract tests of the custom-token exchange on the embedded Appwrite: the real `appwrite` web SDK
 * trades a `users.createToken` secret for a session and uses it, as a browser app would.
 *
 * Browser emulation: in Node the web SDK's `fetch` keeps no cookies, so — exactly as in a browser
 * that blocks third-party cookies — it stores the session from the `X-Fallback-Cookies` response
 * header in `window.localStorage` (key `cookieFallback`) and sends it back as `X-Fallback-Cookies`.
 * The SDK only does this when `window.localStorage` exists, so this file installs a minimal
 * in-memory `localStorage` (and the `window.console` the SDK warns through) on `globalThis.window`
 * and removes it afterwards. Cookies and `X-Appwrite-Session` are exercised with plain `fetch` and
 * `node-appwrite`.
 */
import { Account as WebAccount, Client as WebClient } from 'appwrite';
import { Account as ServerAccount, Client as ServerClient, type Users } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure, PROJECT_ID, SERVER_KEY, START_MS, startDevAppwrite, type RunningDevAppwrite } from './harness.js';

/** The part of the Web Storage API the SDK uses. */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  clear(): void {
    this.items.clear();
  }
}

const COOKIE = `a_session_${PROJECT_ID}`;
const browserStorage = new MemoryStorage();
const sdkWarnings: string[] = [];
let dev: RunningDevAppwrite;
let users: Users;

beforeAll(async () => {
  (globalThis as { window?: unknown }).window = { localStorage: browserStorage, console: { warn: (message: string) => sdkWarnings.push(message) } };
  dev = await startDevAppwrite();
  users = dev.users();
});
afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await dev.close();
});
beforeEach(async () => {
  dev.reset();
  browserStorage.clear();
  await users.create({ userId: 'alice', email: 'alice@example.com', name: 'Alice', password: 'correct horse' });
});

/** A browser app's Account service; all of them share the one `localStorage`, like tabs of one browser. */
function browserAccount(project: string = PROJECT_ID): WebAccount {
  return new WebAccount(new WebClient().setEndpoint(dev.endpoint).setProject(project));
}

async function mintSecret(userId = 'alice', expire?: number): Promise<string> {
  return (await users.createToken({ userId, length: 64, ...(expire === undefined ? {} : { expire }) })).secret;
}

/** The exchange over plain HTTP, for tests that look at headers or vary the client IP. */
function exchange(body: { userId: string; secret: string }, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${dev.endpoint}/account/sessions/token`, {
    method: 'POST',
    headers: { 'X-Appwrite-Project': PROJECT_ID, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function getAccount(headers: Record<string, string>): Promise<Response> {
  return fetch(`${dev.endpoint}/account`, { headers: { 'X-Appwrite-Project': PROJECT_ID, ...headers } });
}

describe('exchanging a custom token with the web SDK', () => {
  it('creates a token session, signs in, and signs out', async () => {
    const account = browserAccount();
    const secret = await mintSecret();

    const session = await account.createSession({ userId: 'alice', secret });

    expect(session).toMatchObject({
      userId: 'alice',
      provider: 'token',
      factors: ['token'],
      current: true,
      secret: '',
      $createdAt: '2026-01-15T12:00:00.000+00:00',
      expire: '2027-01-15T12:00:00.000+00:00',
    });
    expect(Object.keys(session)).toEqual(expect.arrayContaining(['ip', 'osCode', 'clientName', 'deviceName', 'countryCode', 'countryName', 'mfaUpdatedAt']));
    expect(Object.keys(JSON.parse(browserStorage.getItem('cookieFallback') ?? '{}') as object)).toEqual([COOKIE]);
    expect(sdkWarnings.some((warning) => warning.includes('localStorage'))).toBe(true);
    expect(dev.store.tokensOf('alice')).toEqual([]);

    const me = await account.get();
    expect(me).toMatchObject({ $id: 'alice', email: 'alice@example.com', name: 'Alice' });
    expect(me).not.toHaveProperty('password');
    expect(me).not.toHaveProperty('hash');
    expect(me).not.toHaveProperty('hashOptions');

    await account.deleteSession({ sessionId: 'current' });

    expect(browserStorage.getItem('cookieFallback')).toBe('[]');
    expect(dev.store.sessionsOf('alice')).toEqual([]);
    expect(await failure(account.get())).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('lists the signed-in user’s sessions, newest last, the current one marked and no secret in any', async () => {
    const other = await exchange({ userId: 'alice', secret: await mintSecret() });
    expect(other.status).toBe(201);
    const account = browserAccount();
    const current = await account.createSession({ userId: 'alice', secret: await mintSecret() });
    await users.create({ userId: 'bob', email: 'bob@example.com', password: 'correct horse' });
    expect((await exchange({ userId: 'bob', secret: await mintSecret('bob') })).status).toBe(201);

    const { total, sessions } = await account.listSessions();

    expect(total).toBe(2);
    expect(sessions.map((session) => [session.userId, session.current, session.secret])).toEqual([
      ['alice', false, ''],
      ['alice', true, ''],
    ]);
    expect(sessions[1]!.$id).toBe(current.$id);
    await account.deleteSession({ sessionId: 'current' });
    expect(await failure(account.listSessions())).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('refuses to read the account without a session (guests lack the account scope)', async () => {
    const error = await failure(browserAccount().get());

    expect(error).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
    expect(error.message).toBe('User (role: guests) missing scopes (["account"])');
  });

  it('opens a session only once per secret', async () => {
    const secret = await mintSecret();
    await browserAccount().createSession({ userId: 'alice', secret });
    browserStorage.clear(); // another device replays the same secret

    expect(await failure(browserAccount().createSession({ userId: 'alice', secret }))).toMatchObject({ code: 401, type: 'user_invalid_token' });
    expect(dev.store.sessionsOf('alice')).toHaveLength(1);
  });

  it('answers a wrong secret, another user’s secret and an unknown user alike: 401 user_invalid_token', async () => {
    await users.create({ userId: 'bob' });
    const bobSecret = await mintSecret('bob');
    await mintSecret('alice');

    for (const attempt of [
      { userId: 'alice', secret: 'f'.repeat(64) },
      { userId: 'alice', secret: bobSecret },
      { userId: 'nobody', secret: bobSecret },
    ]) {
      expect(await failure(browserAccount().createSession(attempt))).toMatchObject({ code: 401, type: 'user_invalid_token' });
    }
    expect(dev.store.sessions.size).toBe(0);
  });

  it('accepts a secret until its expiry and refuses it after', async () => {
    const lastSecond = await mintSecret('alice', 60);
    const late = await mintSecret('alice', 60);
    dev.clock.advance(60 * 1000);

    await browserAccount().createSession({ userId: 'alice', secret: lastSecond });
    browserStorage.clear();
    dev.clock.advance(1 * 1000);

    expect(await failure(browserAccount().createSession({ userId: 'alice', secret: late }))).toMatchObject({ code: 401, type: 'user_invalid_token' });
  });

  it('refuses a second session while one is active: 401 user_session_already_exists', async () => {
    await browserAccount().createSession({ userId: 'alice', secret: await mintSecret() });
    const secret = await mintSecret();

    expect(await failure(browserAccount().createSession({ userId: 'alice', secret }))).toMatchObject({ code: 401, type: 'user_session_already_exists' });
    expect(dev.store.tokensOf('alice')).toHaveLength(1);
  });

  it('gives a blocked user no working session (Appwrite creates it, then refuses every use with 403, as 1.9 does)', async () => {
    await users.updateStatus({ userId: 'alice', status: false });
    const account = browserAccount();

    await account.createSession({ userId: 'alice', secret: await mintSecret() });

    expect(await failure(account.get())).toMatchObject({ code: 403, type: 'user_blocked', message: 'The current user has been blocked.' });
  });

  it('stops a session at once when its user is blocked afterwards', async () => {
    const account = browserAccount();
    await account.createSession({ userId: 'alice', secret: await mintSecret() });
    await users.updateStatus({ userId: 'alice', status: false });

    expect(await failure(account.get())).toMatchObject({ code: 403, type: 'user_blocked', message: 'The current user has been blocked.' });
  });

  it('ends a session when it expires, a year after it was created', async () => {
    const account = browserAccount();
    await account.createSession({ userId: 'alice', secret: await mintSecret() });
    dev.clock.advance(31_536_000 * 1000);
    expect((await account.get()).$id).toBe('alice');

    dev.clock.advance(1 * 1000);

    expect(await failure(account.get())).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('ends every session of a user with users.deleteSessions', async () => {
    const account = browserAccount();
    await account.createSession({ userId: 'alice', secret: await mintSecret() });

    await users.deleteSessions({ userId: 'alice' });

    expect(await failure(account.get())).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('finds no users when the client names no project (Appwrite’s console fallback)', async () => {
    const secret = await mintSecret();

    expect(await failure(browserAccount('').createSession({ userId: 'alice', secret }))).toMatchObject({ code: 401, type: 'user_invalid_token' });
    expect(dev.store.tokensOf('alice')).toHaveLength(1);
  });

  it('answers 404 project_not_found for a project it does not serve', async () => {
    expect(await failure(browserAccount('other').createSession({ userId: 'alice', secret: await mintSecret() }))).toMatchObject({
      code: 404,
      type: 'project_not_found',
    });
  });
});

describe('how the session travels', () => {
  it('sets Appwrite’s two cookies and the fallback header, all carrying base64 {id, secret}', async () => {
    const response = await exchange({ userId: 'alice', secret: await mintSecret() });

    expect(response.status).toBe(201);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    const legacy = cookies.find((cookie) => cookie.startsWith(`${COOKIE}_legacy=`)) ?? '';
    const modern = cookies.find((cookie) => cookie.startsWith(`${COOKIE}=`)) ?? '';
    expect(legacy).toMatch(/; Path=\/; HttpOnly$/);
    expect(modern).toMatch(/; Path=\/; HttpOnly; SameSite=None$/);
    expect(modern).toContain(`Expires=${new Date(START_MS + 31_536_000_000).toUTCString()}`);
    expect(modern).not.toMatch(/Domain=|Secure/); // 127.0.0.1 over http, as Appwrite does for IP hosts

    const value = decodeURIComponent(modern.slice(COOKIE.length + 1).split(';')[0] ?? '');
    expect(JSON.parse(Buffer.from(value, 'base64').toString())).toEqual({ id: 'alice', secret: expect.stringMatching(/^[0-9a-f]{256}$/) });
    expect(JSON.parse(response.headers.get('x-fallback-cookies') ?? '')).toEqual({ [COOKIE]: value });
  });

  it('accepts the session back as a cookie, a legacy cookie, X-Appwrite-Session or X-Fallback-Cookies', async () => {
    const response = await exchange({ userId: 'alice', secret: await mintSecret() });
    const value = (JSON.parse(response.headers.get('x-fallback-cookies') ?? '{}') as Record<string, string>)[COOKIE] ?? '';

    const transports: Record<string, string>[] = [
      { cookie: `${COOKIE}=${encodeURIComponent(value)}` },
      { cookie: `${COOKIE}_legacy=${encodeURIComponent(value)}` },
      { 'x-appwrite-session': value },
      { 'x-fallback-cookies': JSON.stringify({ [COOKIE]: value }) },
    ];
    for (const headers of transports) {
      const account = await getAccount(headers);
      expect(account.status, JSON.stringify(Object.keys(headers))).toBe(200);
      expect(await account.json()).toMatchObject({ $id: 'alice' });
    }
  });

  it('treats a forged or garbled session as no session', async () => {
    const forged = Buffer.from(JSON.stringify({ id: 'alice', secret: 'a'.repeat(256) })).toString('base64');

    const forgeries: Record<string, string>[] = [{ 'x-appwrite-session': forged }, { cookie: `${COOKIE}=garbage` }, { 'x-fallback-cookies': 'not json' }];
    for (const headers of forgeries) {
      const account = await getAccount(headers);
      expect(account.status).toBe(401);
      expect(await account.json()).toMatchObject({ type: 'general_unauthorized_scope' });
    }
  });

  it('returns the encoded session to an API-key caller, for server-side rendering with setSession', async () => {
    const admin = new ServerAccount(dev.serverClient());

    const session = await admin.createSession({ userId: 'alice', secret: await mintSecret() });
    const asUser = new ServerAccount(new ServerClient().setEndpoint(dev.endpoint).setProject(PROJECT_ID).setSession(session.secret));

    expect(session.secret).not.toBe('');
    expect((await asUser.get()).$id).toBe('alice');
  });
});

describe('the abuse limit on the exchange (10 per hour per IP and userId)', () => {
  const wrong = { userId: 'alice', secret: 'bad' };

  it('refuses the 11th attempt in the hour with 429, even with the right secret, until the next window', async () => {
    const secret = await mintSecret('alice', 7200);
    for (let attempt = 1; attempt <= 10; attempt++) expect((await exchange(wrong)).status).toBe(401);

    const refused = await exchange({ userId: 'alice', secret });

    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 429, type: 'general_rate_limit_exceeded' });
    expect(refused.headers.get('x-ratelimit-limit')).toBe('10');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset')).toBe(String(START_MS / 1000 + 3600));
    expect(await failure(browserAccount().createSession({ userId: 'alice', secret }))).toMatchObject({ code: 429, type: 'general_rate_limit_exceeded' });

    dev.clock.advance(3600 * 1000);
    expect((await exchange({ userId: 'alice', secret })).status).toBe(201);
  });

  it('starts counting afresh after a successful exchange', async () => {
    for (let attempt = 1; attempt <= 9; attempt++) expect((await exchange(wrong)).status).toBe(401);
    expect((await exchange({ userId: 'alice', secret: await mintSecret() })).status).toBe(201);

    for (let attempt = 1; attempt <= 10; attempt++) expect((await exchange(wrong)).status).toBe(401);
    expect((await exchange(wrong)).status).toBe(429);
  });

  it('counts each IP and userId pair separately, the IP being the socket’s (a forged X-Forwarded-For is no other client)', async () => {
    await users.create({ userId: 'bob' });
    for (let attempt = 1; attempt <= 10; attempt++) await exchange(wrong);

    expect((await exchange(wrong)).status).toBe(429);
    expect((await exchange({ userId: 'bob', secret: 'bad' })).status).toBe(401);
    expect((await exchange(wrong, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
  });

  it('does not limit API-key callers', async () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      expect((await exchange(wrong, { 'x-appwrite-key': SERVER_KEY })).status).toBe(401);
    }
  });
});
