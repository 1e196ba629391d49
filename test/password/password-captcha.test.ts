/**
 * The password function's captcha options (issue 9): a captcha on `/register`, and one on `/login`
 * and `/change` after N attempts for an account without a success. The requirement follows the
 * typed name's counter, known or not, so it reveals nothing: every test below runs a known and an
 * unknown name side by side and expects byte-identical answers.
 *
 * Over the app (createTestPlatform: embedded Appwrite on loopback, the development captcha or the
 * Turnstile fake), then through `npm start`'s server with every answer checked against the OpenAPI
 * document.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordApp } from '../../functions/password/app.js';
import { passwordConfigSchema } from '../../functions/password/config.js';
import { kitFunctions } from '../../functions/index.js';
import { passwordFunction } from '../../functions/password/index.js';
import { CAPTCHA_TOKEN_HEADER } from '../../shared/captcha/verifier.js';
import { DEVELOPMENT_CAPTCHA_TOKEN, type CaptchaVerifier } from '../../shared/captcha/index.js';
import { parseConfig, type EnvSource } from '../../shared/config.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { nodeArgon2Verifier } from '../../shared/passwords/node-argon2.js';
import type { PasswordVerifier } from '../../shared/passwords/verifier.js';
import { buildFunctionApp } from '../../shared/runtime/mount.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { startCaptchaVendor, type FakeCaptchaVendor } from '../helpers/captcha-vendor.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { createTestPlatform } from '../helpers/platform.js';

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong horse battery';
/** Per-account delays out of the way: what is tested here is the captcha threshold, not the throttle. */
const quietLimits = { PASSWORD_LIMIT_ACCOUNT: '1000/60', PASSWORD_LIMIT_LOGIN_IP: '1000/60', PASSWORD_LIMIT_CHANGE_IP: '1000/60' };

/** An answer as a client sees it, minus nothing that could tell two accounts apart. */
async function seen(response: Response) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
  return { status: response.status, headers, body: await response.text() };
}

describe('over the app', () => {
  let dev: RunningDevAppwrite;
  let vendor: FakeCaptchaVendor;
  beforeAll(async () => {
    // Appwrite's own argon2 costs, so a real user's hash costs what the dummy does: one verification per attempt.
    dev = await startDevAppwrite({ hashing: 'appwrite-default' });
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

  function setup(env: EnvSource, options: { development?: boolean } = {}) {
    const hashes: string[] = [];
    const passwordVerifier: PasswordVerifier = { verify: (hash, password) => (hashes.push(hash), nodeArgon2Verifier.verify(hash, password)) };
    const platform = createTestPlatform({
      env,
      development: options.development ?? true,
      clock: dev.clock,
      passwordVerifier,
      connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
    });
    // Counts what reaches the captcha provider: a vendor call the kit may pay for.
    let captchaCalls = 0;
    const captcha: CaptchaVerifier = {
      get provider() {
        return platform.captcha.provider;
      },
      verify: (token, context) => {
        captchaCalls++;
        return platform.captcha.verify(token, context);
      },
    };
    const app = createPasswordApp(parseConfig(passwordConfigSchema, env), { ...platform, captcha });
    const call = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}, clientIp = '198.51.100.7') =>
      Promise.resolve(
        app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }, { clientIp }),
      );
    return { call, hashes, captchaCalls: () => captchaCalls };
  }

  describe('PASSWORD_CAPTCHA_AFTER_FAILURES', () => {
    const env = { CAPTCHA_PROVIDER: 'development', PASSWORD_CAPTCHA_AFTER_FAILURES: '3', ...quietLimits };

    it('asks a known and an unknown name alike for a captcha after 3 failed logins, before any argon2 work', async () => {
      const { call, hashes, captchaCalls } = setup(env);
      expect((await call('/register', { username: 'known', password: PASSWORD })).status).toBe(201);

      const transcripts: Record<string, Awaited<ReturnType<typeof seen>>[]> = {};
      const verifications: Record<string, number> = {};
      const captchas: Record<string, number> = {};
      for (const username of ['known', 'unknown']) {
        const [hashesBefore, captchasBefore] = [hashes.length, captchaCalls()];
        transcripts[username] = [];
        for (const [body, headers] of [
          [{ username, password: WRONG }, {}],
          [{ username, password: WRONG }, {}],
          [{ username, password: WRONG }, {}],
          [{ username, password: WRONG }, {}],
          [{ username, password: WRONG, captchaToken: 'not-the-token' }, {}],
          [{ username, password: WRONG, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }, {}],
          [{ username, password: WRONG }, { [CAPTCHA_TOKEN_HEADER]: DEVELOPMENT_CAPTCHA_TOKEN }],
        ] as const) {
          transcripts[username]!.push(await seen(await call('/login', body, headers)));
        }
        verifications[username] = hashes.length - hashesBefore;
        captchas[username] = captchaCalls() - captchasBefore;
      }

      expect(transcripts['known']).toEqual(transcripts['unknown']);
      expect(transcripts['known']!.map((answer) => answer.status)).toEqual([401, 401, 401, 403, 403, 401, 401]);
      expect(JSON.parse(transcripts['known']![3]!.body)).toEqual({
        message: 'The captcha was not solved, or its proof is invalid, spent or too old. Solve it again.',
        code: 403,
        type: 'captcha_invalid',
      });
      // Argon2 only for the attempts that got past the captcha; the captcha only past the threshold.
      expect(verifications).toEqual({ known: 5, unknown: 5 });
      expect(captchas).toEqual({ known: 4, unknown: 4 });
    });

    it('asks nothing before the threshold, and a successful login clears the count', async () => {
      const { call } = setup(env);
      await call('/register', { username: 'owner', password: PASSWORD });
      const statuses = async (password: string, times: number) => {
        const out = [];
        for (let i = 0; i < times; i++) out.push((await call('/login', { username: 'owner', password })).status);
        return out;
      };
      expect([...(await statuses(WRONG, 2)), ...(await statuses(PASSWORD, 1))]).toEqual([401, 401, 200]);
      expect(await statuses(WRONG, 4)).toEqual([401, 401, 401, 403]);
      expect((await call('/login', { username: 'owner', password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(200);
      expect(await statuses(WRONG, 1)).toEqual([401]);
    });

    it('shares the count between /login and /change, for known and unknown names', async () => {
      const { call } = setup(env);
      await call('/register', { username: 'known', password: PASSWORD });
      const answers: Record<string, Awaited<ReturnType<typeof seen>>> = {};
      for (const username of ['known', 'unknown']) {
        for (let i = 0; i < 3; i++) await call('/login', { username, password: WRONG });
        answers[username] = await seen(await call('/change', { username, currentPassword: PASSWORD, newPassword: 'new password 1' }));
      }
      expect(answers['known']).toEqual(answers['unknown']);
      expect(answers['known']!.status).toBe(403);

      const changed = await call('/change', { username: 'known', currentPassword: PASSWORD, newPassword: 'new password 1', captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
      expect(changed.status).toBe(204);
      // The change was a success: the count starts again.
      expect((await call('/login', { username: 'known', password: WRONG })).status).toBe(401);
    });

    it('counts no captcha attempt that a limit refused', async () => {
      const { call, captchaCalls } = setup({ ...env, PASSWORD_LIMIT_ACCOUNT: '4/60' });
      for (let i = 0; i < 3; i++) await call('/login', { username: 'someone', password: WRONG });
      expect((await call('/login', { username: 'someone', password: WRONG, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(401);
      expect((await call('/login', { username: 'someone', password: WRONG, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(429);
      expect(captchaCalls()).toBe(1);
    });

    it('works with a vendor: a Turnstile token opens one attempt, a spent one is refused, a vendor failure is 503 for known and unknown alike', async () => {
      const turnstile = { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: vendor.secret('turnstile'), CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile') };
      const { call } = setup({ ...turnstile, PASSWORD_CAPTCHA_AFTER_FAILURES: '1', ...quietLimits }, { development: false });
      await call('/register', { username: 'known', password: PASSWORD });

      for (const username of ['known', 'unknown']) await call('/login', { username, password: WRONG });
      const token = vendor.solve('turnstile');
      expect((await call('/login', { username: 'known', password: WRONG, captchaToken: token })).status).toBe(401);
      expect((await call('/login', { username: 'unknown', password: WRONG, captchaToken: token })).status).toBe(403);

      const failures: Record<string, Awaited<ReturnType<typeof seen>>> = {};
      for (const username of ['known', 'unknown']) {
        // Turnstile is retried once (same idempotency key): fail both.
        vendor.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
        failures[username] = await seen(await call('/login', { username, password: PASSWORD, captchaToken: vendor.solve('turnstile') }));
      }
      expect(failures['known']).toEqual(failures['unknown']);
      expect(failures['known']!.status).toBe(503);
      expect(JSON.parse(failures['known']!.body)).toMatchObject({ type: 'captcha_unavailable' });

      expect((await call('/login', { username: 'known', password: PASSWORD, captchaToken: vendor.solve('turnstile') })).status).toBe(200);
    });

    it('logs each attempt refused for want of a captcha, with the account reference and IP bucket', async () => {
      const lines: string[] = [];
      const platform = createTestPlatform({
        env,
        development: true,
        logger: createLogger((line) => lines.push(line)),
        clock: dev.clock,
        connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
      });
      const app = createPasswordApp(parseConfig(passwordConfigSchema, env), platform);
      const login = () =>
        app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'erin', password: WRONG }) }, { clientIp: '203.0.113.9' });
      for (let i = 0; i < 4; i++) await login();
      const account = await platform.audit.account('username', 'erin');
      expect(lines.filter((line) => line.startsWith('captcha_required'))).toEqual([`captcha_required route="login" account="${account}" ip="ip:v4:203.0.113.9"`]);
    });
  });

  describe('PASSWORD_CAPTCHA_ON_REGISTER', () => {
    const env = { CAPTCHA_PROVIDER: 'development', PASSWORD_CAPTCHA_ON_REGISTER: 'true' };

    it('creates no user and spends no sign-up budget without a captcha', async () => {
      const { call } = setup({ ...env, PASSWORD_LIMIT_REGISTER_ALL: '1/60' });
      const refused = await call('/register', { username: 'newcomer', password: PASSWORD });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ type: 'captcha_invalid' });
      expect((await call('/register', { username: 'newcomer', password: PASSWORD, captchaToken: 'guess' })).status).toBe(403);
      expect((await dev.users().list()).total).toBe(0);

      expect((await call('/register', { username: 'newcomer', password: PASSWORD }, { [CAPTCHA_TOKEN_HEADER]: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(201);
      expect((await dev.users().list()).total).toBe(1);
      // Only the created user spent the budget of one.
      expect((await call('/register', { username: 'another', password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(429);
    });

    it('counts the per-IP limit first, so a throttled address costs no captcha call', async () => {
      const { call, captchaCalls } = setup({ ...env, PASSWORD_LIMIT_REGISTER_IP: '1/600' });
      expect((await call('/register', { username: 'first', password: PASSWORD })).status).toBe(403);
      expect((await call('/register', { username: 'first', password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(429);
      expect(captchaCalls()).toBe(1);
    });

    it('asks /login and /change for nothing', async () => {
      const { call, captchaCalls } = setup(env);
      await call('/register', { username: 'owner', password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
      for (let i = 0; i < 5; i++) expect((await call('/login', { username: 'owner', password: WRONG }, {}, `192.0.2.${i}`)).status).toBe(401);
      expect(captchaCalls()).toBe(1);
    });
  });

  describe('configuration', () => {
    const connection = () => ({ APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 });

    it('answers 500 config_invalid, naming the options and CAPTCHA_PROVIDER, when an option is on without a provider', async () => {
      const lines: string[] = [];
      const env = { PASSWORD_CAPTCHA_ON_REGISTER: 'true', PASSWORD_CAPTCHA_AFTER_FAILURES: '5' };
      const platform = createTestPlatform({ env, logger: createLogger((line) => lines.push(line)), clock: dev.clock, connection: connection() });
      const app = buildFunctionApp(passwordFunction, env, platform.runtime);
      const response = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'someone', password: PASSWORD }) });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ type: 'config_invalid' });
      expect(lines).toContain(
        'config_invalid function="password" problems="' +
          'PASSWORD_CAPTCHA_ON_REGISTER needs a captcha: set CAPTCHA_PROVIDER (turnstile, hcaptcha, recaptcha-v2 or recaptcha-v3; development only with npm start); ' +
          'PASSWORD_CAPTCHA_AFTER_FAILURES needs a captcha: set CAPTCHA_PROVIDER (turnstile, hcaptcha, recaptcha-v2 or recaptcha-v3; development only with npm start)"',
      );
    });

    it('needs no CAPTCHA_* variable with both options off, and asks for no captcha', async () => {
      const lines: string[] = [];
      const platform = createTestPlatform({ env: {}, logger: createLogger((line) => lines.push(line)), clock: dev.clock, connection: connection() });
      const app = buildFunctionApp(passwordFunction, {}, platform.runtime);
      const post = (path: string, body: unknown) =>
        app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { clientIp: '198.51.100.7' });
      expect((await post('/register', { username: 'plain', password: PASSWORD })).status).toBe(201);
      for (let i = 0; i < 4; i++) expect((await post('/login', { username: 'plain', password: WRONG })).status).toBe(401);
      expect((await post('/login', { username: 'plain', password: PASSWORD })).status).toBe(200);
      expect(lines.join('\n')).not.toMatch(/config_invalid|captcha/);
    });
  });
});

describe('through npm start', () => {
  let server: RunningNodeServer;
  let counter = 0;
  const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${counter++}`;
  const document = openApiDocument(kitFunctions, { mounted: true });

  beforeAll(async () => {
    server = await startNodeServer({
      env: {
        PORT: '0',
        CAPTCHA_PROVIDER: 'development',
        PASSWORD_CAPTCHA_ON_REGISTER: 'true',
        PASSWORD_CAPTCHA_AFTER_FAILURES: '2',
        PASSWORD_LIMIT_REGISTER_IP: '1000/60',
        ...quietLimits,
      },
      functions: kitFunctions,
      logger: silentLogger,
      embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    });
  });
  afterAll(() => server.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/password${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    await expectDocumentedAnswer(document, 'post', `/password${path}`, response);
    return response;
  }

  it('registers only with the development captcha', async () => {
    const username = uniqueName('reg');
    const refused = await post('/register', { username, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 403, type: 'captcha_invalid' });
    expect((await post('/register', { username, password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN })).status).toBe(201);
  });

  it('asks a known and an unknown name for a captcha after 2 failures, with byte-identical answers', async () => {
    const known = uniqueName('known');
    await post('/register', { username: known, password: PASSWORD, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN });
    const transcripts: Record<string, Awaited<ReturnType<typeof seen>>[]> = { known: [], unknown: [] };
    for (const [label, username] of [['known', known], ['unknown', uniqueName('unknown')]] as const) {
      for (const captchaToken of [undefined, undefined, undefined, 'wrong', DEVELOPMENT_CAPTCHA_TOKEN]) {
        transcripts[label]!.push(await seen(await post('/login', { username, password: WRONG, captchaToken })));
      }
    }
    expect(transcripts['known']).toEqual(transcripts['unknown']);
    expect(transcripts['known']!.map((answer) => answer.status)).toEqual([401, 401, 403, 403, 401]);

    const login = await post('/login', { username: known, password: PASSWORD }, { [CAPTCHA_TOKEN_HEADER]: DEVELOPMENT_CAPTCHA_TOKEN });
    expect(login.status).toBe(200);
  });

  it('says in /health that the development captcha is in use', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as { notices?: string[] };
    expect(health.notices).toContain(`captcha: the development provider accepts the fixed token "${DEVELOPMENT_CAPTCHA_TOKEN}"; never deploy it`);
  });
});

describe('the OpenAPI document', () => {
  const document = openApiDocument(kitFunctions, { mounted: true }) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; responses: Record<string, { description: string }> } }>;
  };

  it.each(['/password/register', '/password/login', '/password/change'])('lists captchaToken and the captcha errors for %s', (path) => {
    const operation = document.paths[path]!.post;
    expect(Object.keys(operation.requestBody.content['application/json']!.schema.properties)).toContain('captchaToken');
    expect(operation.responses['403']!.description).toContain('captcha_invalid');
    expect(operation.responses['503']!.description).toContain('captcha_unavailable');
  });
});
