/**
 * The captcha function's app on ports against the embedded Appwrite (users, Messaging into the
 * outbox), for what a served request cannot steer: a lookup that loses a race to another ID, an
 * account whose address changed, a blocked user, the code's configured length, and refusing to
 * build without a captcha.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCaptchaApp } from '../../functions/captcha/app.js';
import { captchaFunctionConfigSchema } from '../../functions/captcha/config.js';
import { userIdForEmail } from '../../functions/captcha/identities.js';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { createDevelopmentCaptcha } from '../../shared/captcha/development.js';
import type { CaptchaVerifier } from '../../shared/captcha/verifier.js';
import { ConfigError, parseConfig } from '../../shared/config.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { createMessagingDelivery } from '../../shared/sign-in/delivery.js';
import type { UsersDirectory } from '../../shared/users.js';
import { startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { captureLogs, connectionTo } from '../sign-in/helpers.js';
import { codeIn } from './helpers.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

function appWith(options: { env?: Record<string, string>; users?: (real: UsersDirectory) => UsersDirectory; captcha?: CaptchaVerifier } = {}) {
  const { logger, lines } = captureLogs();
  const real = createAppwriteUsers(connectionTo(dev), logger);
  const app = createCaptchaApp(parseConfig(captchaFunctionConfigSchema, options.env ?? {}), {
    users: options.users ? options.users(real) : real,
    rateLimitStore: createMemoryStore({ clock: dev.clock }),
    delivery: createMessagingDelivery(connectionTo(dev), logger, { now: () => dev.clock.now() }),
    captcha: options.captcha ?? createDevelopmentCaptcha(logger),
    logger,
    clock: dev.clock,
  });
  const requestCode = async (email: string) => {
    const response = await app.request(
      '/email',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }) },
      { clientIp: '203.0.113.7' },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { requestCode, lines };
}

describe('whose code it is', () => {
  it('gives the code to the user who took the address after the lookup under another ID, and creates no second user', async () => {
    await dev.users().create({ userId: 'someone-else', email: 'late@example.com' });
    // The lookup ran before that user existed: it saw nobody.
    let lookups = 0;
    const { requestCode } = appWith({
      users: (real) => ({ ...real, findByEmail: async (email) => (++lookups === 1 ? null : real.findByEmail(email)) }),
    });

    const answer = await requestCode('late@example.com');
    expect(answer).toMatchObject({ status: 202, body: { userId: 'someone-else' } });
    expect(lookups).toBe(2);
    expect((await dev.users().list()).users.map((user) => user.$id)).toEqual(['someone-else']);
    expect(dev.store.outbox.list()).toMatchObject([{ userId: 'someone-else', to: 'late@example.com' }]);
  });

  it('sends nothing to an address the account no longer has: 409 account_conflict', async () => {
    // The user this address once created has since changed its email.
    const userId = await userIdForEmail('old@example.com');
    await dev.users().create({ userId, email: 'new@example.com' });

    const { requestCode, lines } = appWith();
    const answer = await requestCode('old@example.com');
    expect(answer).toMatchObject({ status: 409, body: { type: 'account_conflict' } });
    expect(dev.store.outbox.list()).toEqual([]);
    expect(dev.store.tokens.size).toBe(0);
    expect(lines).toContain(`address_mismatch channel="email" userId="${userId}"`);
  });

  it('refuses a blocked user with 403 user_blocked and sends nothing', async () => {
    await dev.users().create({ userId: 'blocked', email: 'blocked@example.com' });
    await dev.users().updateStatus({ userId: 'blocked', status: false });
    const answer = await appWith().requestCode('blocked@example.com');
    expect(answer).toMatchObject({ status: 403, body: { type: 'user_blocked' } });
    expect(dev.store.outbox.list()).toEqual([]);
  });
});

describe('the code', () => {
  it('has CAPTCHA_TOKEN_LENGTH hex characters and lasts CAPTCHA_TOKEN_EXPIRE seconds', async () => {
    const { requestCode } = appWith({ env: { CAPTCHA_TOKEN_LENGTH: '6', CAPTCHA_TOKEN_EXPIRE: '300' } });
    const answer = await requestCode('six@example.com');
    expect(answer.status).toBe(202);
    expect(Date.parse(String(answer.body['expire']))).toBe(dev.clock.now() + 300_000);
    const { code, minutes } = codeIn(dev.store.outbox.list()[0]!);
    expect(code).toMatch(/^[0-9a-f]{6}$/);
    expect(minutes).toBe(5);
  });

  it.each([
    ['CAPTCHA_TOKEN_LENGTH', '5'],
    ['CAPTCHA_TOKEN_LENGTH', '65'],
    ['CAPTCHA_TOKEN_EXPIRE', '299'],
    ['CAPTCHA_TOKEN_EXPIRE', '3601'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => parseConfig(captchaFunctionConfigSchema, { [name]: value })).toThrow(new RegExp(name));
  });
});

describe('configuration', () => {
  it('refuses to build without a captcha provider, naming CAPTCHA_PROVIDER', () => {
    const unconfigured: CaptchaVerifier = { provider: null, verify: () => Promise.resolve() };
    const build = () => appWith({ captcha: unconfigured });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/CAPTCHA_PROVIDER is required by the captcha function/);
  });
});
