/**
 * The password function's audit trail: one log line per failed login and per refusal by a limit,
 * naming the account by a keyed reference (HMAC under `AUDIT_LOG_KEY`) and the client by its
 * rate-limit bucket, never by a username, password or user ID.
 */
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createLogger } from '../../shared/log.js';
import { buildFunctionApp } from '../../shared/runtime/mount.js';
import type { RuntimeServicesWithNotices } from '../../shared/runtime/services.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform } from '../helpers/platform.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

const AUDIT_LOG_KEY = 'audit-key-for-tests-0123456789abcdef';
const PASSWORD = 'correct horse battery';

/** The password function as a runtime builds it, with every log line kept. */
function setup(env: Record<string, string> = { AUDIT_LOG_KEY }, development = false) {
  const lines: string[] = [];
  const logger = createLogger((line) => lines.push(line));
  const platform = createTestPlatform({
    env,
    development,
    logger,
    clock: dev.clock,
    connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
  });
  const app = buildFunctionApp(passwordFunction, env, platform.runtime);
  const call = (path: string, body: unknown, clientIp = '198.51.100.7') =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { clientIp });
  return { call, lines, notices: (platform.runtime as RuntimeServicesWithNotices).notices };
}

/** What an operator computes to find one account's lines: `printf 'username:alice' | openssl dgst -sha256 -hmac "$AUDIT_LOG_KEY"`. */
const reference = (username: string, key = AUDIT_LOG_KEY) => createHmac('sha256', key).update(`username:${username}`).digest('hex').slice(0, 16);

describe('with AUDIT_LOG_KEY', () => {
  it('logs each failed login once, with the keyed account reference and the client IP bucket', async () => {
    const { call, lines } = setup();
    expect((await call('/register', { username: 'alice', password: PASSWORD })).status).toBe(201);
    lines.splice(0);

    expect((await call('/login', { username: 'Alice', password: 'wrong horse battery' })).status).toBe(401);
    expect((await call('/login', { username: 'nobody', password: PASSWORD }, '2001:db8:1:2::7')).status).toBe(401);
    expect((await call('/change', { username: 'alice', currentPassword: 'wrong horse battery', newPassword: 'new password 1' })).status).toBe(401);

    expect(lines).toEqual([
      `login_failed route="login" account="${reference('alice')}" ip="ip:v4:198.51.100.7"`,
      `login_failed route="login" account="${reference('nobody')}" ip="ip:v6:2001:db8:1:2::/64"`,
      `login_failed route="change" account="${reference('alice')}" ip="ip:v4:198.51.100.7"`,
    ]);
  });

  it('logs each refusal by a limit once, with the same reference and bucket', async () => {
    const { call, lines } = setup();
    for (let i = 0; i < 5; i++) await call('/login', { username: 'victim', password: 'wrong horse battery' });
    lines.splice(0);

    const refused = await call('/login', { username: 'victim', password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(lines).toEqual([
      `rate_limited scope="password.account" rule="5/60" retryAfter="60" account="${reference('victim')}" ip="ip:v4:198.51.100.7"`,
    ]);
  });

  it('logs refused registrations with the typed name\'s reference', async () => {
    const { call, lines } = setup({ AUDIT_LOG_KEY, PASSWORD_LIMIT_REGISTER_IP: '1/600' });
    await call('/register', { username: 'first', password: PASSWORD });
    lines.splice(0);
    expect((await call('/register', { username: 'second', password: PASSWORD })).status).toBe(429);
    expect(lines).toEqual([
      `rate_limited scope="password.register.ip" rule="1/600" retryAfter="600" account="${reference('second')}" ip="ip:v4:198.51.100.7"`,
    ]);
  });

  it('writes no username, password, user ID or unkeyed hash of them', async () => {
    const { call, lines } = setup();
    const { userId } = (await (await call('/register', { username: 'carol', password: PASSWORD })).json()) as { userId: string };
    lines.splice(0);
    for (let i = 0; i < 7; i++) await call('/login', { username: 'carol', password: `wrong horse ${i}` });
    const log = lines.join('\n');
    const sha256 = createHash('sha256').update('carol').digest('hex');
    for (const secret of ['carol', PASSWORD, 'wrong horse', userId.slice(3), sha256.slice(0, 16)]) expect(log).not.toContain(secret);
    expect(log).toContain(reference('carol'));
  });
});

describe('without AUDIT_LOG_KEY', () => {
  it('says so at startup, and uses a key of this process that no dictionary of names reverses', async () => {
    const first = setup({});
    const second = setup({});
    expect(first.notices).toEqual([
      'audit: AUDIT_LOG_KEY is not set; account references in the log use a random key of this process and do not match across instances or restarts',
    ]);
    expect(first.lines).toContain(`notice message="${first.notices[0]}"`);

    await first.call('/login', { username: 'dave', password: PASSWORD });
    await second.call('/login', { username: 'dave', password: PASSWORD });
    const account = (lines: string[]) => /account="([0-9a-f]{16})"/.exec(lines.find((line) => line.startsWith('login_failed'))!)![1];
    // Two builds in one process agree, so lines of one running server correlate.
    expect(account(first.lines)).toBe(account(second.lines));
    expect(account(first.lines)).not.toBe(createHash('sha256').update('username:dave').digest('hex').slice(0, 16));
    expect(account(first.lines)).not.toBe(reference('dave', ''));
  });

  it('says nothing with npm start\'s embedded Appwrite: one process, forgotten on exit', () => {
    expect(setup({}, true).notices).toEqual([]);
  });

  it('refuses an AUDIT_LOG_KEY too short to be a secret', async () => {
    const { call, lines } = setup({ AUDIT_LOG_KEY: 'short' });
    const response = await call('/login', { username: 'dave', password: PASSWORD });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ type: 'config_invalid' });
    expect(lines.join('\n')).toContain('AUDIT_LOG_KEY: must be at least 32 characters');
    expect(lines.join('\n')).not.toMatch(/\bshort\b/);
  });
});
