/**
 * The captcha function as Appwrite runs it: the open-runtimes context in, Appwrite reached through
 * APPWRITE_FUNCTION_API_ENDPOINT with the per-execution key of its appwrite.json scopes, counters in
 * the Appwrite table, Cloudflare Turnstile played by the loopback fake of its siteverify contract,
 * and the emailed code exchanged by the real web SDK. The embedded double stands in for Appwrite.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Account, Client } from 'appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userIdForEmail } from '../../functions/captcha/identities.js';
import { captchaFunction } from '../../functions/captcha/index.js';
import { systemClock } from '../../shared/clock.js';
import { createDevAppwrite, type DevAppwriteStore } from '../../shared/dev-appwrite/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { freshBrowser } from '../helpers/browser.js';
import { startCaptchaVendor, type FakeCaptchaVendor } from '../helpers/captcha-vendor.js';
import { invokeOpenRuntimes, type RuntimeResult } from '../helpers/open-runtimes.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { codeIn } from './helpers.js';

const PROJECT_ID = 'kit-captcha-appwrite';
const FUNCTION_KEY = 'ephemeral_captcha-function-key';
const CLIENT_IP = '203.0.113.7';

let server: ServerType;
let store: DevAppwriteStore;
let endpoint: string;
let vendor: FakeCaptchaVendor;
/** Every line any execution logged, checked for codes at the end. */
const collected: string[] = [];
const codes: string[] = [];

beforeAll(async () => {
  const dev = createDevAppwrite({
    projectId: PROJECT_ID,
    // Exactly the function's scopes in appwrite.json.
    apiKeys: { [FUNCTION_KEY]: [...captchaFunction.appwriteScopes] },
  });
  store = dev.store;
  server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  vendor = await startCaptchaVendor({ clock: systemClock });
});
afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await vendor.close();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});
beforeEach(() => vendor.reset());

function entryWith(env: Record<string, string> = {}): AppwriteEntry {
  return createAppwriteEntry(captchaFunction, {
    env: {
      APPWRITE_FUNCTION_API_ENDPOINT: endpoint,
      APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID,
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: vendor.secret('turnstile'),
      CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile'),
      ...env,
    },
  });
}

// The function's own document, paths at the root as its Appwrite function serves them.
const document = openApiDocument([captchaFunction], { mounted: false });

async function post(entry: AppwriteEntry, path: string, body: unknown): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: path,
    headers: {
      host: 'captcha.functions.example.test',
      'x-forwarded-proto': 'https',
      'content-type': 'application/json',
      'x-appwrite-trigger': 'http',
      'x-appwrite-client-ip': CLIENT_IP,
      'x-appwrite-key': FUNCTION_KEY,
    },
    body: JSON.stringify(body),
  });
  collected.push(...result.logs, ...result.errors);
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) for (const one of [value].flat()) headers.append(name, one);
  await expectDocumentedAnswer(document, 'POST', path, { status: result.statusCode, headers, body: result.text() });
  return result;
}

describe('captcha function on the Appwrite runtime, with Turnstile', () => {
  it('emails a code after Turnstile says yes; the code opens a session with the web SDK and is in no answer', async () => {
    const entry = entryWith();
    const email = 'alice@example.com';
    const result = await post(entry, '/email', { email, captchaToken: vendor.solve('turnstile') });

    expect(result.statusCode).toBe(202);
    expect(result.headers['cache-control']).toBe('no-store');
    const body = result.json() as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['expire', 'userId']);
    expect(body['userId']).toBe(await userIdForEmail(email));

    // What the kit asked Turnstile: its secret, the token, and the client IP Appwrite reported.
    expect(vendor.requests).toHaveLength(1);
    expect(vendor.requests[0]).toMatchObject({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      fields: { secret: vendor.secret('turnstile'), remoteip: CLIENT_IP },
    });

    const [message] = store.outbox.list().filter((entry) => entry.to === email);
    const { code } = codeIn(message!);
    codes.push(code);
    expect(result.text()).not.toContain(code);

    freshBrowser();
    const account = new Account(new Client().setEndpoint(endpoint).setProject(PROJECT_ID));
    await account.createSession({ userId: body['userId']!, secret: code });
    expect((await account.get()).email).toBe(email);
  });

  it('refuses a spent Turnstile token with 403 captcha_invalid and sends nothing', async () => {
    const entry = entryWith();
    const token = vendor.solve('turnstile');
    expect((await post(entry, '/email', { email: 'bob@example.com', captchaToken: token })).statusCode).toBe(202);
    const sent = store.outbox.list().length;

    const replay = await post(entry, '/email', { email: 'carol@example.com', captchaToken: token });
    expect(replay.statusCode).toBe(403);
    expect(replay.json()).toMatchObject({ code: 403, type: 'captcha_invalid' });
    expect(store.outbox.list()).toHaveLength(sent);
    expect(store.users.size).toBe(2);
    codes.push(...store.outbox.list().map((entry) => codeIn(entry).code));
  });

  it('counts in the Appwrite table before asking Turnstile: a throttled request costs no vendor call', async () => {
    const entry = entryWith({ CAPTCHA_LIMIT_EMAIL: '1/86400' });
    expect((await post(entry, '/email', { email: 'dave@example.com', captchaToken: vendor.solve('turnstile') })).statusCode).toBe(202);
    expect(vendor.requests).toHaveLength(1);

    const throttled = await post(entry, '/email', { email: 'dave@example.com', captchaToken: vendor.solve('turnstile') });
    expect(throttled.statusCode).toBe(429);
    expect(vendor.requests).toHaveLength(1);
    expect(store.outbox.list().filter((entry) => entry.to === 'dave@example.com')).toHaveLength(1);
    codes.push(...store.outbox.list().map((entry) => codeIn(entry).code));
  });

  it('answers 500 config_invalid and names CAPTCHA_PROVIDER when no captcha is configured', async () => {
    const result = await post(entryWith({ CAPTCHA_PROVIDER: '' }), '/email', { email: 'erin@example.com' });
    expect(result.statusCode).toBe(500);
    expect(result.json()).toMatchObject({ code: 500, type: 'config_invalid' });
    expect(result.errors.join('\n')).toMatch(/config_invalid function="captcha" problems=".*CAPTCHA_PROVIDER is required/);
  });

  it('never logs a code, the captcha secret or the key', () => {
    expect(codes.length).toBeGreaterThan(0);
    const logged = collected.join('\n');
    for (const forbidden of [...codes, vendor.secret('turnstile'), FUNCTION_KEY]) expect(logged).not.toContain(forbidden);
    expect(logged).toContain('code_sent');
  });
});
