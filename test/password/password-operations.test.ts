/**
 * What the password function tells operators and keeps, besides its answers: the lines it logs
 * (a change, a hash it cannot verify, a captcha required, sessions left open, a name claim kept),
 * the counters it keeps per typed name, and the token and CORS settings it is configured with.
 * Over the app, against the embedded Appwrite and the captcha vendor fake on loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordApp } from '../../functions/password/app.js';
import { passwordConfigSchema } from '../../functions/password/config.js';
import { userIdForUsername } from '../../functions/password/username.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { parseConfig, type EnvSource } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { accountKey } from '../../shared/rate-limit/keys.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import type { RateLimitStore } from '../../shared/rate-limit/store.js';
import type { UsersDirectory } from '../../shared/users.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { startCaptchaVendor, type FakeCaptchaVendor } from '../helpers/captcha-vendor.js';
import { createTestPlatform } from '../helpers/platform.js';

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong horse battery';
const CLIENT_IP = '198.51.100.7';

let dev: RunningDevAppwrite;
let vendor: FakeCaptchaVendor;
beforeAll(async () => {
  dev = await startDevAppwrite();
  vendor = await startCaptchaVendor({ clock: dev.clock });
});
afterAll(async () => {
  await vendor.close();
  await dev.close();
});
beforeEach(() => {
  dev.reset();
  vendor.reset();
});

interface SetupOptions {
  development?: boolean;
  /** Replaces some of the Appwrite users directory's calls. */
  users?: (users: UsersDirectory) => Partial<UsersDirectory>;
  /** Replaces some of the rate-limit store's calls. */
  store?: (store: RateLimitStore) => Partial<RateLimitStore>;
}

/** The app on the double, every log line kept, and every counter key the store was asked to count. */
function setup(env: EnvSource = {}, options: SetupOptions = {}) {
  const lines: string[] = [];
  const counted: string[] = [];
  const released: string[] = [];
  const memory = createMemoryStore({ clock: dev.clock });
  const rateLimitStore: RateLimitStore = {
    ...memory,
    consume: (key, rule, consumeOptions) => {
      counted.push(key);
      return memory.consume(key, rule, consumeOptions);
    },
    reset: (key, rule) => {
      released.push(key);
      return memory.reset(key, rule);
    },
    ...options.store?.(memory),
  };
  const platform = createTestPlatform({
    env,
    development: options.development ?? false,
    clock: dev.clock,
    logger: createLogger((line) => lines.push(line)),
    rateLimitStore,
    connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
  });
  const users = { ...platform.users, ...options.users?.(platform.users) };
  const app = createPasswordApp(parseConfig(passwordConfigSchema, env), { ...platform, users });
  const call = (path: string, body: Record<string, unknown>) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { clientIp: CLIENT_IP });
  return { app, call, lines, counted, released, audit: platform.audit };
}

describe('the counters a login keeps', () => {
  it('counts the client address and the typed name, each under its own scope, the name only as an account key', async () => {
    const env = { CAPTCHA_PROVIDER: 'development', PASSWORD_CAPTCHA_AFTER_FAILURES: '3' };
    const { call, counted } = setup(env, { development: true });

    expect((await call('/login', { username: 'alice', password: WRONG })).status).toBe(401);

    const alice = await accountKey('username', 'alice');
    expect(new Set(counted)).toEqual(
      new Set([
        'password.login.ip|ip:v4:198.51.100.7',
        `password.account|${alice}`,
        `password.account-cap|${alice}`,
        `password.captcha-after|${alice}`,
      ]),
    );
  });

  it('a sign-up counts the client address, the claim on the name (as an account key) and the budget across everyone; a created user releases nothing', async () => {
    const { call, counted, released, lines } = setup();

    expect((await call('/register', { username: 'alice', password: PASSWORD })).status).toBe(201);

    const alice = await accountKey('username', 'alice');
    expect(new Set(counted)).toEqual(new Set(['password.register.ip|ip:v4:198.51.100.7', `password.register.name|${alice}`, 'password.register.all|all']));
    // The user holds the name now; its claim ends with its window.
    expect(released).toEqual([]);
    expect(lines.at(-1)).toBe(`user_registered userId="${await userIdForUsername('alice')}"`);
  });

  it('a change counts the client address and the typed name, each under its own scope', async () => {
    const { call, counted } = setup();
    await call('/register', { username: 'alice', password: PASSWORD });
    counted.length = 0;

    expect((await call('/change', { username: 'alice', currentPassword: WRONG, newPassword: 'second password 2' })).status).toBe(401);

    const alice = await accountKey('username', 'alice');
    expect(new Set(counted)).toEqual(new Set(['password.change.ip|ip:v4:198.51.100.7', `password.account|${alice}`, `password.account-cap|${alice}`]));
  });

  it('serves a request without a client address (no platform env), counted under the unknown address', async () => {
    const { app, counted } = setup();
    const post = (path: string, body: Record<string, unknown>) =>
      app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await post('/register', { username: 'alice', password: PASSWORD })).status).toBe(201);
    expect((await post('/change', { username: 'alice', currentPassword: PASSWORD, newPassword: 'second password 2' })).status).toBe(204);
    expect((await post('/login', { username: 'alice', password: 'second password 2' })).status).toBe(200);
    expect([...new Set(counted.filter((key) => key.endsWith('.ip|ip:unknown')))]).toEqual([
      'password.register.ip|ip:unknown',
      'password.change.ip|ip:unknown',
      'password.login.ip|ip:unknown',
    ]);
  });

  it('refuses past the account cap with 429, logged under password.account-cap', async () => {
    const { call, lines } = setup({ PASSWORD_LIMIT_ACCOUNT: '1000/60', PASSWORD_LIMIT_ACCOUNT_CAP: '2/3600' });
    for (let i = 0; i < 2; i++) expect((await call('/login', { username: 'alice', password: WRONG })).status).toBe(401);

    expect((await call('/login', { username: 'alice', password: WRONG })).status).toBe(429);
    expect(lines.at(-1)).toMatch(/^rate_limited scope="password\.account-cap" /);
  });
});

describe('configuration the app is built with', () => {
  it('issues tokens of PASSWORD_TOKEN_LENGTH characters that expire after PASSWORD_TOKEN_EXPIRE seconds', async () => {
    const { call } = setup({ PASSWORD_TOKEN_LENGTH: '40', PASSWORD_TOKEN_EXPIRE: '120' });
    expect((await call('/register', { username: 'alice', password: PASSWORD })).status).toBe(201);

    const login = await call('/login', { username: 'alice', password: PASSWORD });
    const body = (await login.json()) as { secret: string; expire: string };
    expect(body.secret).toHaveLength(40);
    expect(Date.parse(body.expire)).toBe(dev.clock.now() + 120_000);
  });

  it('answers a CORS preflight from an origin in CORS_ALLOWED_ORIGINS', async () => {
    const { app } = setup({ CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
    const preflight = await app.request('/login', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });
});

describe('what a password change logs', () => {
  it('logs password_changed with the user ID', async () => {
    const { call, lines } = setup();
    await call('/register', { username: 'alice', password: PASSWORD });

    expect((await call('/change', { username: 'alice', currentPassword: PASSWORD, newPassword: 'second password 2' })).status).toBe(204);
    expect(lines.at(-1)).toBe(`password_changed userId="${await userIdForUsername('alice')}"`);
  });

  it.each([
    ['an Appwrite failure', new KitError('appwrite_unavailable', 'Appwrite is unavailable. Try again later.'), 'appwrite_unavailable'],
    ['anything else', new Error('socket hang up'), 'unknown'],
  ])('logs sessions_not_revoked with the error’s type when revoking fails on %s', async (_what, failure, logged) => {
    const { call, lines } = setup({}, { users: () => ({ deleteSessions: () => Promise.reject(failure) }) });
    await call('/register', { username: 'alice', password: PASSWORD });

    const changed = await call('/change', { username: 'alice', currentPassword: PASSWORD, newPassword: 'second password 2' });
    expect(changed.status).toBe(503);
    expect(lines).toContain(`sessions_not_revoked userId="${await userIdForUsername('alice')}" error="${logged}"`);
  });

  it('passes on an Appwrite failure to store the new password as itself, not as a rejected password', async () => {
    const unavailable = new KitError('appwrite_unavailable', 'Appwrite is unavailable. Try again later.');
    const { call, lines } = setup({}, { users: () => ({ updatePassword: () => Promise.reject(unavailable) }) });
    await call('/register', { username: 'alice', password: PASSWORD });

    const changed = await call('/change', { username: 'alice', currentPassword: PASSWORD, newPassword: 'second password 2' });
    expect(changed.status).toBe(503);
    expect(await changed.json()).toMatchObject({ type: 'appwrite_unavailable' });
    expect(lines.join('\n')).not.toMatch(/password_changed/);
  });
});

describe('failing closed', () => {
  it('signs in no unknown or password-less account, even through a verifier that matches anything', async () => {
    const lines: string[] = [];
    const platform = createTestPlatform({
      clock: dev.clock,
      logger: createLogger((line) => lines.push(line)),
      passwordVerifier: { verify: async () => true },
      connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
    });
    const app = createPasswordApp(parseConfig(passwordConfigSchema, {}), platform);
    await dev.users().create({ userId: await userIdForUsername('nopassword') });

    for (const username of ['nobody', 'nopassword']) {
      const login = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
      expect(login.status, username).toBe(401);
      expect(await login.json()).toMatchObject({ type: 'invalid_credentials' });
    }
    expect(dev.store.tokens.size).toBe(0);
  });
});

describe('a stored hash the kit cannot verify', () => {
  it('answers 401 invalid_credentials and warns unsupported_password_hash with the user and algorithm', async () => {
    const { call, lines } = setup();
    const userId = await userIdForUsername('imported');
    await dev.users().create({ userId });
    const record = dev.store.users.get(userId)! as { password: string | null; hash: string };
    record.password = '$2y$10$abcdefghijklmnopqrstuu5rqzM7s1dn7Z1p0O2cvJ0t1J8a5XhEi';
    record.hash = 'bcrypt';

    const login = await call('/login', { username: 'imported', password: PASSWORD });
    expect(login.status).toBe(401);
    expect(lines).toContain(`unsupported_password_hash userId="${userId}" algorithm="bcrypt"`);
  });

  it('does not warn for an account without a password', async () => {
    const { call, lines } = setup();
    await dev.users().create({ userId: await userIdForUsername('nopassword') });

    expect((await call('/login', { username: 'nopassword', password: PASSWORD })).status).toBe(401);
    expect(lines.join('\n')).not.toMatch(/unsupported_password_hash/);
  });
});

describe('the captcha past failed attempts', () => {
  const turnstile = () => ({
    CAPTCHA_PROVIDER: 'turnstile',
    CAPTCHA_SECRET: vendor.secret('turnstile'),
    CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile'),
    PASSWORD_CAPTCHA_AFTER_FAILURES: '1',
    PASSWORD_LIMIT_ACCOUNT: '1000/60',
  });

  it('on /change: logs captcha_required for the change route, with the account reference and IP bucket', async () => {
    const { call, lines, audit } = setup({ CAPTCHA_PROVIDER: 'development', PASSWORD_CAPTCHA_AFTER_FAILURES: '1', PASSWORD_LIMIT_ACCOUNT: '1000/60' }, { development: true });
    await call('/register', { username: 'alice', password: PASSWORD });
    await call('/change', { username: 'alice', currentPassword: WRONG, newPassword: 'second password 2' });

    expect((await call('/change', { username: 'alice', currentPassword: WRONG, newPassword: 'second password 2' })).status).toBe(403);
    const account = await audit.account('username', 'alice');
    expect(lines.filter((line) => line.startsWith('captcha_required'))).toEqual([`captcha_required route="change" account="${account}" ip="ip:v4:198.51.100.7"`]);
  });

  it('sends the vendor the client address with the token', async () => {
    const { call } = setup(turnstile());
    await call('/login', { username: 'alice', password: WRONG });

    await call('/login', { username: 'alice', password: WRONG, captchaToken: vendor.solve('turnstile') });
    expect(vendor.requests.at(-1)!.fields).toMatchObject({ remoteip: CLIENT_IP });
  });

  it('a vendor that fails is 503 captcha_unavailable, and no captcha_required: the client did nothing wrong', async () => {
    const { call, lines } = setup(turnstile());
    await call('/login', { username: 'alice', password: WRONG });
    // Turnstile is retried once: fail both.
    vendor.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });

    const failed = await call('/login', { username: 'alice', password: WRONG, captchaToken: vendor.solve('turnstile') });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ type: 'captcha_unavailable' });
    expect(lines.join('\n')).not.toMatch(/captcha_required/);
  });

  it('a request without a client address still reaches the vendor, sending no remoteip', async () => {
    const { app } = setup(turnstile());
    const login = (body: Record<string, unknown>) =>
      app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await login({ username: 'alice', password: WRONG });

    expect((await login({ username: 'alice', password: WRONG, captchaToken: vendor.solve('turnstile') })).status).toBe(401);
    expect(vendor.requests.at(-1)!.fields).not.toHaveProperty('remoteip');
  });

  it('a development captcha token opens a login past the threshold', async () => {
    const { call } = setup({ CAPTCHA_PROVIDER: 'development', PASSWORD_CAPTCHA_AFTER_FAILURES: '1', PASSWORD_LIMIT_ACCOUNT: '1000/60' }, { development: true });
    await call('/register', { username: 'alice', password: PASSWORD });
    await call('/login', { username: 'alice', password: WRONG });
    expect((await call('/login', { username: 'alice', password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(200);
  });
});

describe('sign-up races', () => {
  /** Another instance (its own name claims) creates the user between this one's check and its create. */
  const createdMeanwhile = (users: UsersDirectory): Partial<UsersDirectory> => ({
    get: async (userId) => {
      const found = await users.get(userId);
      if (!found) await dev.users().create({ userId });
      return found;
    },
  });

  it('answers 409 username_taken when another instance created the user between the check and the create', async () => {
    const { call } = setup({}, { users: createdMeanwhile });
    const taken = await call('/register', { username: 'alice', password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toEqual({ message: 'This username is taken.', code: 409, type: 'username_taken' });
  });

  it('logs name_claim_kept, with the account reference and IP bucket, when the claim on a name it did not create cannot be released', async () => {
    const { call, lines, audit } = setup(
      {},
      { users: createdMeanwhile, store: () => ({ reset: () => Promise.reject(new KitError('rate_limiter_unavailable', 'The rate limiter is unavailable.')) }) },
    );
    expect((await call('/register', { username: 'alice', password: PASSWORD })).status).toBe(409);
    const account = await audit.account('username', 'alice');
    expect(lines).toContain(`name_claim_kept account="${account}" ip="ip:v4:198.51.100.7"`);
  });
});
