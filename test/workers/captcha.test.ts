// The captcha function inside workerd, in a Worker built from the function list, with the bindings
// of .dev.vars.example plus a captcha: Cloudflare Turnstile played by the loopback fake global-setup
// starts. The code goes out through npm start's embedded Appwrite and is read back from its
// development outbox over HTTP, then exchanged with the `appwrite` web SDK. The development
// captcha, which accepts a published token, must be refused here: a Worker is never development.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Account, Client } from 'appwrite';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { stubBrowserStorage } from './browser-storage.js';
import { captchaFunction } from '../../functions/captcha/index.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { createWorker } from '../../shared/runtime/workers.js';

const worker = createWorker([captchaFunction]);
const turnstile = inject('turnstile');
/** npm start's own address: the Appwrite endpoint without `/v1`. */
const npmStart = inject('appwriteEndpoint').replace(/\/v1$/, '');

// Distinct objects: the Worker builds one app per env object.
const turnstileEnv = { ...env, CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: turnstile.secret, CAPTCHA_SITEVERIFY_URL: turnstile.siteverifyUrl };
const developmentEnv = { ...env, CAPTCHA_PROVIDER: 'development' };

async function call(testEnv: Record<string, unknown>, path: string, body: unknown, clientIp = '203.0.113.70'): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://kit.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': clientIp },
      body: JSON.stringify(body),
    }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

async function solve(): Promise<string> {
  return (await fetch(turnstile.solveUrl)).text();
}

async function messagesTo(address: string): Promise<Array<{ channel: string; to: string; content: string }>> {
  const response = await fetch(`${npmStart}/_dev/outbox`);
  expect(response.status).toBe(200);
  const { entries } = (await response.json()) as { entries: Array<{ channel: string; to: string; content: string }> };
  return entries.filter((entry) => entry.to === address);
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('captcha function in workerd', () => {
  it('emails a code after Turnstile says yes; read from the outbox, it opens a session with the web SDK', async () => {
    const email = `worker-${Date.now().toString(36)}@example.com`;
    const response = await call(turnstileEnv, '/captcha/email', { email, captchaToken: await solve(), locale: 'es' });
    const text = await response.text();
    expect(response.status, text).toBe(202);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = JSON.parse(text) as { userId: string; expire: string };
    expect(Object.keys(body).sort()).toEqual(['expire', 'userId']);

    const messages = await messagesTo(email);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.channel).toBe('email');
    const code = /inicio de sesión es: ([0-9a-f]{8})\n/.exec(messages[0]!.content)?.[1];
    expect(code, messages[0]!.content).toBeDefined();
    expect(text).not.toContain(code);

    stubBrowserStorage();
    const account = new Account(new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId')));
    const session = await account.createSession({ userId: body.userId, secret: code! });
    expect(session.userId).toBe(body.userId);
    expect((await account.get()).email).toBe(email);
  });

  it('refuses a missing or unknown captcha token with 403 captcha_invalid, sending nothing', async () => {
    const email = `worker-nobody-${Date.now().toString(36)}@example.com`;
    for (const captchaToken of [undefined, 'not-a-turnstile-token']) {
      const response = await call(turnstileEnv, '/captcha/email', { email, captchaToken }, '203.0.113.71');
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 403, type: 'captcha_invalid' });
    }
    expect(await messagesTo(email)).toEqual([]);
  });

  it('refuses the development captcha: 500 config_invalid, logged with CAPTCHA_PROVIDER, and nothing sent', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const email = `worker-dev-${Date.now().toString(36)}@example.com`;
    const response = await call(developmentEnv, '/captcha/email', { email, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN }, '203.0.113.72');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'The function is not configured correctly. See its logs.', code: 500, type: 'config_invalid' });
    expect(errors.mock.calls.map((args) => String(args[0])).join('\n')).toMatch(/config_invalid function="captcha" problems="CAPTCHA_PROVIDER: development/);
    expect(await messagesTo(email)).toEqual([]);
  });
});
