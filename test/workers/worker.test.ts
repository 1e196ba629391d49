// The real Worker (wrangler.toml `main`) inside workerd, against the Appwrite double on 127.0.0.1:
// register, log in, exchange the token for a session with the `appwrite` web SDK, and check that
// failed logins cannot be told apart.
import { exports, env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Account, AppwriteException, Client } from 'appwrite';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { stubBrowserStorage } from './browser-storage.js';
import worker from '../../entries/worker.js';
import { kitFunctions } from '../../functions/index.js';

const origin = 'https://kit.test';

function post(path: string, body: unknown, clientIp = '203.0.113.7'): Promise<Response> {
  return exports.default.fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': clientIp },
    body: JSON.stringify(body),
  });
}

/** A web SDK client as a browser page would hold it, minus the browser. */
function appwriteClient(): Client {
  return new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId'));
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Worker in workerd', () => {
  it('answers /health with every function', async () => {
    const response = await exports.default.fetch(`${origin}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', functions: kitFunctions.map((fn) => fn.name) });
  });

  it('builds node-appwrite against the undici shim, as wrangler does', async () => {
    const undici = await import('undici');
    expect(() => new undici.Agent()).toThrow(/not available on Cloudflare Workers/);
  });

  it('registers, logs in, and the token opens exactly one Appwrite session (web SDK)', async () => {
    const username = 'worker-alice';
    const password = 'correct horse battery staple';

    const registered = await post('/password/register', { username, password });
    expect(registered.status).toBe(201);
    const { userId } = (await registered.json()) as { userId: string };

    const login = await post('/password/login', { username: username.toUpperCase(), password });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const token = (await login.json()) as { userId: string; secret: string; expire: string };
    expect(Object.keys(token).sort()).toEqual(['expire', 'secret', 'userId']);
    expect(token.userId).toBe(userId);
    expect(token.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(token.expire)).toBeGreaterThan(Date.now());

    stubBrowserStorage();
    const account = new Account(appwriteClient());
    const session = await account.createSession({ userId: token.userId, secret: token.secret });
    expect(session.userId).toBe(userId);
    const me = await account.get();
    expect(me.$id).toBe(userId);
    expect(me.name).toBe(username);

    // A token is single-use: the same secret from a fresh client (no session) is refused.
    vi.unstubAllGlobals();
    const replay = new Account(appwriteClient()).createSession({ userId: token.userId, secret: token.secret });
    await expect(replay).rejects.toBeInstanceOf(AppwriteException);
    await expect(replay).rejects.toMatchObject({ code: 401, type: 'user_invalid_token' });
  });

  it('answers an unknown user and a wrong password with byte-identical 401 bodies', async () => {
    const username = 'worker-bob';
    expect((await post('/password/register', { username, password: 'the right password' })).status).toBe(201);

    const wrongPassword = await post('/password/login', { username, password: 'the wrong password' });
    const unknownUser = await post('/password/login', { username: 'worker-nobody', password: 'the wrong password' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    const [wrongBody, unknownBody] = [await wrongPassword.text(), await unknownUser.text()];
    expect(unknownBody).toBe(wrongBody);
    expect(JSON.parse(wrongBody)).toMatchObject({ code: 401, type: 'invalid_credentials' });
  });

  it('answers 500 config_invalid and logs the variable, not its value, when an APPWRITE_* variable is missing', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    // A different env object, so the Worker builds a second app for it (apps are cached per env).
    const brokenEnv = { ...env, APPWRITE_API_KEY: '' };
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${origin}/password/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.8' },
        body: JSON.stringify({ username: 'worker-alice', password: 'correct horse battery staple' }),
      }),
      brokenEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      message: 'The function is not configured correctly. See its logs.',
      code: 500,
      type: 'config_invalid',
    });
    const logged = errors.mock.calls.map((call) => String(call[0])).join('\n');
    expect(logged).toMatch(/config_invalid .*APPWRITE_API_KEY is required/);
    expect(logged).not.toContain(inject('appwriteApiKey'));
  });
});

describe('Worker rate limits (Durable Object store)', () => {
  async function call(testEnv: Record<string, unknown>, body: unknown, headers: Record<string, string>): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${origin}/password/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  // Windows here are a day long: fixed windows are aligned to the clock, and a minute-long one could
  // end in the middle of a test and let a request through.
  it('throttles one account across many CF-Connecting-IP addresses', async () => {
    const accountEnv = { ...env, PASSWORD_LIMIT_ACCOUNT: '5/86400' };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await call(accountEnv, { username: 'worker-target', password: 'guess guess guess' }, { 'cf-connecting-ip': `198.51.100.${i}` });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.json()).toEqual({ message: 'Too many attempts. Try again later.', code: 429, type: 'rate_limited' });
  });

  it('limits per CF-Connecting-IP, whatever X-Forwarded-For says', async () => {
    const tightEnv = { ...env, PASSWORD_LIMIT_LOGIN_IP: '2/86400' };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await call(tightEnv, { username: `worker-spray${i}`, password: 'guess guess guess' }, {
        'cf-connecting-ip': '192.0.2.44',
        'x-forwarded-for': `203.0.113.${i}`,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('fails closed with 503 when the RATE_LIMITER binding is missing', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { RATE_LIMITER: _, ...withoutLimiter } = env as Record<string, unknown>;
    const response = await call(withoutLimiter, { username: 'worker-alice', password: 'correct horse battery staple' }, { 'cf-connecting-ip': '192.0.2.45' });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 503, type: 'rate_limiter_unavailable' });
  });
});
