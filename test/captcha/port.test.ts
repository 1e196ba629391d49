/**
 * The captcha port beyond the vendors: the development provider (npm start only, with a notice),
 * an unset provider (503 and a log line), config errors that name variables and never values, and
 * reading the token from a request.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { captchaPort, captchaTokenFrom, captchaTokenSchema, DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { ConfigError } from '../../shared/config.js';
import { createFunctionApp, jsonBody } from '../../shared/http.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import type { RuntimeServicesWithNotices } from '../../shared/runtime/services.js';
import { createTestPlatform } from '../helpers/platform.js';

const client = { clientIp: '203.0.113.7' };

function platformWith(env: Record<string, string>, development = false) {
  const lines: string[] = [];
  const platform = createTestPlatform({ env, development, logger: createLogger((line) => lines.push(line)) });
  return { runtime: platform.runtime as RuntimeServicesWithNotices, lines };
}

/** The ConfigError building the port throws, or a failure when it builds. */
function configErrorOf(env: Record<string, string>, development = false): ConfigError {
  try {
    captchaPort.create(platformWith(env, development).runtime);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('captchaPort built without a ConfigError');
}

describe('development provider', () => {
  const development = { CAPTCHA_PROVIDER: 'development' };

  it('accepts the fixed token, as often as it is sent, and refuses everything else', async () => {
    const captcha = captchaPort.create(platformWith(development, true).runtime);
    expect(captcha.provider).toBe('development');
    await expect(captcha.verify(DEVELOPMENT_CAPTCHA_TOKEN, client)).resolves.toBeUndefined();
    await expect(captcha.verify(DEVELOPMENT_CAPTCHA_TOKEN, client)).resolves.toBeUndefined();
    for (const token of [undefined, '', `${DEVELOPMENT_CAPTCHA_TOKEN}x`, DEVELOPMENT_CAPTCHA_TOKEN.slice(0, -1), DEVELOPMENT_CAPTCHA_TOKEN.toUpperCase(), 'x'.repeat(5000)]) {
      await expect(captcha.verify(token, client)).rejects.toMatchObject({ type: 'captcha_invalid', status: 403 });
    }
  });

  it('says so loudly: a notice in the log and for GET /health', () => {
    const { runtime, lines } = platformWith(development, true);
    captchaPort.create(runtime);
    const notice = `captcha: the development provider accepts the fixed token "${DEVELOPMENT_CAPTCHA_TOKEN}"; never deploy it`;
    expect(runtime.notices).toEqual([notice]);
    expect(lines.join('\n')).toContain(JSON.stringify(notice));
  });

  it('is refused outside npm start with the embedded Appwrite, naming CAPTCHA_PROVIDER and why', () => {
    const error = configErrorOf(development);
    expect(error.message).toMatch(/CAPTCHA_PROVIDER: development .*only with npm start and the embedded Appwrite/);
    const { runtime } = platformWith(development);
    expect(() => captchaPort.create(runtime)).toThrow(ConfigError);
    expect(runtime.notices).toEqual([]);
  });
});

describe('no provider configured', () => {
  it('builds, says provider null, and answers 503 with a log line saying why', async () => {
    const { runtime, lines } = platformWith({});
    const captcha = captchaPort.create(runtime);
    expect(captcha.provider).toBeNull();
    await expect(captcha.verify('some-token', client)).rejects.toMatchObject({ type: 'captcha_unavailable', status: 503 });
    expect(lines).toEqual(['captcha_unavailable reason="CAPTCHA_PROVIDER is not set"']);
  });
});

describe('config', () => {
  const secret = 'super-secret-value-0123456789';

  it.each([
    [{ CAPTCHA_PROVIDER: 'turnstile' }, /CAPTCHA_SECRET: is required when CAPTCHA_PROVIDER is turnstile/],
    [{ CAPTCHA_PROVIDER: 'recaptcha' }, /CAPTCHA_PROVIDER: must be one of turnstile, hcaptcha, recaptcha-v2, recaptcha-v3, development/],
    [{ CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: secret, CAPTCHA_SITEVERIFY_URL: 'ftp://127.0.0.1/siteverify' }, /CAPTCHA_SITEVERIFY_URL: must be an http\(s\) URL/],
    [{ CAPTCHA_PROVIDER: 'recaptcha-v3', CAPTCHA_SECRET: secret, CAPTCHA_MIN_SCORE: '1.5' }, /CAPTCHA_MIN_SCORE: must be a number from 0 to 1/],
    [{ CAPTCHA_PROVIDER: 'recaptcha-v3', CAPTCHA_SECRET: secret, CAPTCHA_MIN_SCORE: 'high' }, /CAPTCHA_MIN_SCORE: must be a number from 0 to 1/],
    [{ CAPTCHA_PROVIDER: 'recaptcha-v3', CAPTCHA_SECRET: secret, CAPTCHA_MIN_SCORE: '-0.1' }, /CAPTCHA_MIN_SCORE: must be a number from 0 to 1/],
    [{ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: secret, CAPTCHA_HOSTNAMES: ' , ' }, /CAPTCHA_HOSTNAMES: must list at least one hostname/],
    [{ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: secret, CAPTCHA_MAX_AGE_SECONDS: '0' }, /CAPTCHA_MAX_AGE_SECONDS: must be at least 10/],
    [{ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: secret, CAPTCHA_TIMEOUT_MS: '99999' }, /CAPTCHA_TIMEOUT_MS: must be at most 30000/],
  ])('%o is refused, naming the variable and not the value', (env, problem) => {
    const error = configErrorOf(env);
    expect(error.message).toMatch(problem);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('ftp://');
  });

  it('needs no secret for the development provider, and builds a vendor from its variables alone', () => {
    expect(captchaPort.create(platformWith({ CAPTCHA_PROVIDER: 'development' }, true).runtime).provider).toBe('development');
    const vendor = captchaPort.create(platformWith({ CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: secret }).runtime);
    expect(vendor.provider).toBe('hcaptcha');
  });

  it('asks for the once-store scopes on Appwrite (the kit-side replay memory)', () => {
    expect(captchaPort.appwriteScopes).toEqual(['rows.read', 'rows.write']);
  });
});

describe('captchaTokenFrom and captchaTokenSchema', () => {
  const app = createFunctionApp({ logger: silentLogger });
  app.post('/echo', jsonBody(z.object({ captchaToken: captchaTokenSchema })), (c) =>
    c.json({ token: captchaTokenFrom(c, c.req.valid('json').captchaToken) ?? null }),
  );
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.request('/echo', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('reads the JSON field first, then the X-Captcha-Token header', async () => {
    expect(await (await post({ captchaToken: 'from-body' }, { 'X-Captcha-Token': 'from-header' })).json()).toEqual({ token: 'from-body' });
    expect(await (await post({}, { 'x-captcha-token': 'from-header' })).json()).toEqual({ token: 'from-header' });
    expect(await (await post({ captchaToken: '' }, { 'X-Captcha-Token': 'from-header' })).json()).toEqual({ token: 'from-header' });
    expect(await (await post({})).json()).toEqual({ token: null });
  });

  it('refuses an oversized or non-string field with 400 invalid_request', async () => {
    for (const captchaToken of ['x'.repeat(4097), 42]) {
      const response = await post({ captchaToken });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: 'invalid_request' });
    }
    expect((await post({ captchaToken: 'x'.repeat(4096) })).status).toBe(200);
  });
});
