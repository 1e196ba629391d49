/**
 * Abuse protection of the password function (issue: rate limits and account lockout), driven at
 * the app with a counting argon2 verifier so the tests can assert exactly how many guesses reach
 * the hash. Users live in the embedded Appwrite over loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordApp } from '../../functions/password/app.js';
import { passwordConfigSchema } from '../../functions/password/config.js';
import { parseConfig, type AppwriteConnection, type EnvSource } from '../../shared/config.js';
import { nodeArgon2Verifier } from '../../shared/passwords/node-argon2.js';
import { DUMMY_ARGON2ID_HASH, type PasswordVerifier } from '../../shared/passwords/verifier.js';
import { createAppwriteStore } from '../../shared/rate-limit/appwrite-store.js';
import { silentLogger } from '../../shared/log.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform, type TestPlatformOptions } from '../helpers/platform.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  // Appwrite's real argon2 costs: the tests count verifications, and a hash cheaper than the dummy
  // is padded with a second one.
  dev = await startDevAppwrite({ hashing: 'appwrite-default' });
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

/** Counts every hash the verifier is asked to check. */
function countingVerifier() {
  const hashes: string[] = [];
  const verifier: PasswordVerifier = {
    verify: (hash, password) => {
      hashes.push(hash);
      return nodeArgon2Verifier.verify(hash, password);
    },
  };
  return { verifier, hashes };
}

function connection(endpoint = dev.endpoint): AppwriteConnection {
  return { APPWRITE_ENDPOINT: endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 };
}

function setup(env: EnvSource = {}, overrides: TestPlatformOptions = {}) {
  const { verifier, hashes } = countingVerifier();
  const platform = createTestPlatform({ clock: dev.clock, connection: connection(), passwordVerifier: verifier, ...overrides });
  const app = createPasswordApp(parseConfig(passwordConfigSchema, env), platform);
  const call = (path: string, body: unknown, clientIp: string | null = '198.51.100.7') =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { clientIp });
  return { app, call, hashes };
}

const PASSWORD = 'correct horse battery';

describe('the same work for every failed login', () => {
  it('verifies against a dummy hash for unknown and password-less users; against the real hash for blocked ones', async () => {
    const { call, hashes } = setup();
    expect((await call('/register', { username: 'blocked', password: PASSWORD })).status).toBe(201);
    const blocked = (await dev.users().list()).users[0]!;
    await dev.users().updateStatus({ userId: blocked.$id, status: false });
    const { userIdForUsername } = await import('../../functions/password/username.js');
    await dev.users().create({ userId: await userIdForUsername('nopassword') });

    for (const username of ['unknown', 'nopassword', 'blocked']) {
      const response = await call('/login', { username, password: PASSWORD });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: 'Invalid username or password.', code: 401, type: 'invalid_credentials' });
    }
    expect(hashes).toEqual([DUMMY_ARGON2ID_HASH, DUMMY_ARGON2ID_HASH, blocked.password]);
  });

  it('pads a hash from an older, cheaper Appwrite with the dummy, and refuses unsupported or oversized hashes', async () => {
    const { call, hashes } = setup();
    const { userIdForUsername } = await import('../../functions/password/username.js');
    const fixture = (await import('../fixtures/appwrite-hashes.json', { with: { type: 'json' } })).default;
    const legacy = fixture.hashes.find((entry) => entry.label === 'appwrite-legacy')!;
    const storedAs = async (username: string, hash: string) => {
      await dev.users().create({ userId: await userIdForUsername(username) });
      dev.store.users.get(await userIdForUsername(username))!.password = hash;
    };
    await storedAs('legacy', legacy.hash);
    await storedAs('bcrypt', '$2y$10$abcdefghijklmnopqrstuu5rqzM7s1dn7Z1p0O2cvJ0t1J8a5XhEi');
    await storedAs('huge', legacy.hash.replace('m=2048', 'm=1048576'));

    expect((await call('/login', { username: 'legacy', password: 'wrong wrong wrong' })).status).toBe(401);
    expect(hashes.splice(0)).toEqual([legacy.hash, DUMMY_ARGON2ID_HASH]);
    expect((await call('/login', { username: 'legacy', password: legacy.password })).status).toBe(200);
    expect(hashes.splice(0)).toEqual([legacy.hash, DUMMY_ARGON2ID_HASH]);

    for (const username of ['bcrypt', 'huge']) {
      expect((await call('/login', { username, password: legacy.password })).status).toBe(401);
      expect(hashes.splice(0)).toEqual([DUMMY_ARGON2ID_HASH]);
    }
  });
});

describe('passwords set outside the kit in another Unicode form', () => {
  it('verifies the password as typed and its NFKC form, twice for everyone when they differ', async () => {
    const { call, hashes } = setup();
    const { userIdForUsername } = await import('../../functions/password/username.js');
    await dev.users().create({ userId: await userIdForUsername('outside'), password: 'cafe\u0301 au lait' });
    const stored = dev.store.users.get(await userIdForUsername('outside'))!.password!;

    expect((await call('/login', { username: 'outside', password: 'cafe\u0301 au lait' })).status).toBe(200);
    expect(hashes.splice(0)).toEqual([stored, stored]);
    expect((await call('/login', { username: 'outside', password: 'cafe\u0301 au thé' })).status).toBe(401);
    expect(hashes.splice(0)).toEqual([stored, stored]);
    // An unknown name costs the same: one dummy verification per form.
    expect((await call('/login', { username: 'nobody', password: 'cafe\u0301 au lait' })).status).toBe(401);
    expect(hashes.splice(0)).toEqual([DUMMY_ARGON2ID_HASH, DUMMY_ARGON2ID_HASH]);
    // A password already in NFKC has one form: one verification, known or not.
    expect((await call('/login', { username: 'nobody', password: 'caf\u00e9 au lait' })).status).toBe(401);
    expect((await call('/login', { username: 'outside', password: 'caf\u00e9 au lait' })).status).toBe(401);
    expect(hashes.splice(0)).toEqual([DUMMY_ARGON2ID_HASH, stored]);
  });
});

describe('per-account throttling', () => {
  it('lets exactly the configured cap of 1,000 concurrent guesses from many IPs reach argon2', async () => {
    const { call, hashes } = setup();
    await call('/register', { username: 'victim', password: PASSWORD }, '203.0.113.1');
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => call('/login', { username: 'victim', password: `guess ${i} guess` }, `10.${i >> 8}.${i & 255}.9`)),
    );
    const statuses = responses.map((r) => r.status);
    expect(hashes).toHaveLength(5); // PASSWORD_LIMIT_ACCOUNT's first rule: 5 per minute
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(995);
  });

  it('grows the wait and caps failures far below 100 an hour', async () => {
    const { call, hashes } = setup();
    let verified = 0;
    // An attacker who retries as soon as allowed, for an hour.
    for (let second = 0; second < 3600; second += 10) {
      const response = await call('/login', { username: 'victim', password: 'wrong wrong wrong' }, `192.0.2.${second % 200}`);
      if (response.status === 401) verified++;
      dev.clock.advance(10 * 1000);
    }
    expect(hashes).toHaveLength(verified);
    expect(verified).toBeLessThanOrEqual(20);
    expect(verified).toBeGreaterThanOrEqual(10);
  });

  it('does not let the owner\'s successful logins refund an attacker\'s guesses', async () => {
    const { call, hashes } = setup();
    await call('/register', { username: 'victim', password: PASSWORD });
    let guesses = 0;
    let ownerLogins = 0;
    // An attacker guessing as fast as allowed while the owner logs in every minute, for one clock hour.
    for (let second = 0; second < 3600; second += 10) {
      if ((await call('/login', { username: 'victim', password: 'wrong wrong wrong' }, '192.0.2.66')).status === 401) guesses++;
      if (second % 60 === 30 && (await call('/login', { username: 'victim', password: PASSWORD })).status === 200) ownerLogins++;
      dev.clock.advance(10 * 1000);
    }
    expect(guesses + ownerLogins).toBe(20); // PASSWORD_LIMIT_ACCOUNT_CAP: 20 attempts an hour, whoever makes them
    expect(hashes).toHaveLength(20);
    expect(guesses).toBeGreaterThan(0);
  });

  it('lets the right password in once the throttle expires, and a success resets the count', async () => {
    const { call, hashes } = setup();
    await call('/register', { username: 'victim', password: PASSWORD });
    for (let i = 0; i < 5; i++) expect((await call('/login', { username: 'victim', password: 'wrong wrong wrong' })).status).toBe(401);
    const throttled = await call('/login', { username: 'victim', password: PASSWORD });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(hashes).toHaveLength(5);

    dev.clock.advance(Number(throttled.headers.get('retry-after')) * 1000);
    expect((await call('/login', { username: 'victim', password: PASSWORD })).status).toBe(200);

    // Reset: five fresh failures are allowed again before the next 429.
    for (let i = 0; i < 5; i++) expect((await call('/login', { username: 'victim', password: 'wrong wrong wrong' })).status).toBe(401);
    expect((await call('/login', { username: 'victim', password: 'wrong wrong wrong' })).status).toBe(429);
  });

  it('throttles an unknown username exactly like a known one', async () => {
    const { call } = setup();
    await call('/register', { username: 'known', password: PASSWORD });
    const last: Record<string, Response> = {};
    for (const username of ['known', 'unknown']) {
      for (let i = 0; i < 6; i++) last[username] = await call('/login', { username, password: 'wrong wrong wrong' }, `192.0.2.${i}`);
    }
    const [known, unknown] = [last['known']!, last['unknown']!];
    expect(known.status).toBe(429);
    expect(unknown.status).toBe(429);
    const body = await known.text();
    expect(await unknown.text()).toBe(body);
    expect(JSON.parse(body)).toEqual({ message: 'Too many attempts. Try again later.', code: 429, type: 'rate_limited' });
    for (const header of ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
      expect(unknown.headers.get(header)).toBe(known.headers.get(header));
    }
  });

  it('counts a wrong current password on /change against the same account allowance', async () => {
    const { call, hashes } = setup();
    await call('/register', { username: 'victim', password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      expect((await call('/change', { username: 'victim', currentPassword: 'wrong wrong wrong', newPassword: 'new password 1' })).status).toBe(401);
    }
    expect((await call('/login', { username: 'victim', password: PASSWORD })).status).toBe(429);
    expect(hashes).toHaveLength(5);
  });
});

describe('per-IP limits', () => {
  it('lets exactly the configured cap of 1,000 concurrent guesses from one IP against many accounts reach argon2', async () => {
    const { call, hashes } = setup();
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => call('/login', { username: `user${i}`, password: 'guess guess guess' }, '2001:db8:1:2::1')),
    );
    expect(hashes).toHaveLength(20); // PASSWORD_LIMIT_LOGIN_IP's first rule: 20 per minute
    expect(responses.filter((r) => r.status === 429)).toHaveLength(980);
  });

  it('groups IPv6 clients by /64', async () => {
    const { call, hashes } = setup({ PASSWORD_LIMIT_LOGIN_IP: '3/60' });
    for (let i = 1; i <= 4; i++) await call('/login', { username: `user${i}`, password: 'guess guess guess' }, `2001:db8:1:2::${i}`);
    expect(hashes).toHaveLength(3);
    const other = await call('/login', { username: 'user9', password: 'guess guess guess' }, '2001:db8:1:3::1');
    expect(other.status).toBe(401);
  });

  it('limits registrations per IP and in total, tunable through env', async () => {
    const { call } = setup({ PASSWORD_LIMIT_REGISTER_IP: '2/600', PASSWORD_LIMIT_REGISTER_ALL: '3/60' });
    const fromOne = [];
    for (let i = 0; i < 3; i++) fromOne.push((await call('/register', { username: `one${i}`, password: PASSWORD }, '198.51.100.1')).status);
    expect(fromOne).toEqual([201, 201, 429]);
    expect((await call('/register', { username: 'two0', password: PASSWORD }, '198.51.100.2')).status).toBe(201);
    expect((await call('/register', { username: 'three0', password: PASSWORD }, '198.51.100.3')).status).toBe(429);
  });

  it('tells a refused client on the 429 which limit it hit and that none of it remains', async () => {
    const { call } = setup({ PASSWORD_LIMIT_REGISTER_IP: '2/600,50/86400' });
    for (let i = 0; i < 2; i++) expect((await call('/register', { username: `head${i}`, password: PASSWORD })).status).toBe(201);
    const refused = await call('/register', { username: 'head2', password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-limit')).toBe('2');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.headers.get('ratelimit-reset')).toBe(String(retryAfter));
  });

  it('puts clients without a known IP into one shared bucket', async () => {
    const { call, hashes } = setup({ PASSWORD_LIMIT_LOGIN_IP: '2/60' });
    for (let i = 0; i < 3; i++) await call('/login', { username: `user${i}`, password: 'guess guess guess' }, null);
    expect(hashes).toHaveLength(2);
  });
});

describe('the sign-up budget across everyone', () => {
  it('is spent only by created users: duplicates from many addresses leave sign-up open', async () => {
    const { call } = setup({ PASSWORD_LIMIT_REGISTER_ALL: '3/60' });
    expect((await call('/register', { username: 'taken', password: PASSWORD }, '203.0.113.1')).status).toBe(201);
    dev.clock.advance(3600 * 1000);
    for (let i = 0; i < 20; i++) {
      expect((await call('/register', { username: 'taken', password: PASSWORD }, `198.51.100.${10 + i}`)).status).toBe(409);
    }
    expect((await call('/register', { username: 'newcomer', password: PASSWORD }, '203.0.113.50')).status).toBe(201);
  });

  it('counts one user for many concurrent registrations of one name', async () => {
    const { call } = setup({ PASSWORD_LIMIT_REGISTER_ALL: '2/60' });
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => (await call('/register', { username: 'racer', password: PASSWORD }, `198.51.100.${i + 1}`)).status),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    expect((await call('/register', { username: 'second', password: PASSWORD }, '203.0.113.2')).status).toBe(201);
    expect((await call('/register', { username: 'third', password: PASSWORD }, '203.0.113.3')).status).toBe(429);
  });

  it('lets a name refused by the budget be registered once the budget allows', async () => {
    const { call } = setup({ PASSWORD_LIMIT_REGISTER_ALL: '1/60' });
    expect((await call('/register', { username: 'first', password: PASSWORD }, '203.0.113.1')).status).toBe(201);
    expect((await call('/register', { username: 'later', password: PASSWORD }, '203.0.113.2')).status).toBe(429);
    dev.clock.advance(60_000);
    expect((await call('/register', { username: 'later', password: PASSWORD }, '203.0.113.2')).status).toBe(201);
  });

  it('still counts every attempt, duplicates included, per client IP', async () => {
    const { call } = setup({ PASSWORD_LIMIT_REGISTER_IP: '2/600' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('/register', { username: 'mine', password: PASSWORD }, '198.51.100.1')).status);
    expect(statuses).toEqual([201, 409, 429]);
  });
});

describe('when the rate limiter is unavailable', () => {
  it('fails closed with 503 rate_limiter_unavailable before any argon2 work', async () => {
    const closedPort = connection('http://127.0.0.1:9/v1');
    const { call, hashes } = setup({}, { rateLimitStore: createAppwriteStore(closedPort, { logger: silentLogger }) });
    for (const [path, body] of [
      ['/login', { username: 'someone', password: PASSWORD }],
      ['/register', { username: 'someone', password: PASSWORD }],
      ['/change', { username: 'someone', currentPassword: PASSWORD, newPassword: 'new password 1' }],
    ] as const) {
      const response = await call(path, body);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ message: 'The rate limiter is unavailable. Try again later.', code: 503, type: 'rate_limiter_unavailable' });
    }
    expect(hashes).toHaveLength(0);
    expect(await dev.users().list()).toMatchObject({ total: 0 });
  });
});
