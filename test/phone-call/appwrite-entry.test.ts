/**
 * The phone-call function as Appwrite runs it: the open-runtimes context in, Appwrite reached
 * through APPWRITE_FUNCTION_API_ENDPOINT with the per-execution key of exactly its appwrite.json
 * scopes, counters in the Appwrite table, Turnstile and Twilio played by their loopback fakes, and
 * the code read out of the TwiML exchanged by the real web SDK. The embedded double stands in for
 * Appwrite.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Account, Client } from 'appwrite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneCallFunction } from '../../functions/phone-call/index.js';
import { systemClock } from '../../shared/clock.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { openApiDocument } from '../../shared/openapi.js';
import { createAppwriteEntry, type AppwriteEntry } from '../../shared/runtime/appwrite.js';
import { userIdForPhone } from '../../shared/sign-in/user-id.js';
import { freshBrowser } from '../helpers/browser.js';
import { startCaptchaVendor, type FakeCaptchaVendor } from '../helpers/captcha-vendor.js';
import { invokeOpenRuntimes, type RuntimeResult } from '../helpers/open-runtimes.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { FAKE_TWILIO, startFakeTwilio, type FakeTwilio } from '../helpers/twilio-voice.js';

const PROJECT_ID = 'kit-phone-call-appwrite';
const FUNCTION_KEY = 'ephemeral_phone-call-function-key';

let server: ServerType;
let endpoint: string;
let vendor: FakeCaptchaVendor;
let twilio: FakeTwilio;
const collected: string[] = [];

beforeAll(async () => {
  const dev = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [FUNCTION_KEY]: [...phoneCallFunction.appwriteScopes] } });
  server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  vendor = await startCaptchaVendor({ clock: systemClock });
  twilio = await startFakeTwilio();
});
afterAll(async () => {
  delete (globalThis as { window?: unknown }).window;
  await vendor.close();
  await twilio.close();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

function entryWith(env: Record<string, string> = {}): AppwriteEntry {
  return createAppwriteEntry(phoneCallFunction, {
    env: {
      APPWRITE_FUNCTION_API_ENDPOINT: endpoint,
      APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID,
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: vendor.secret('turnstile'),
      CAPTCHA_SITEVERIFY_URL: vendor.url('turnstile'),
      VOICE_PROVIDER: 'twilio',
      TWILIO_API_URL: twilio.url,
      TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid,
      TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
      TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
      TWILIO_FROM_NUMBER: FAKE_TWILIO.from,
      PHONE_CALL_COUNTRIES: 'US',
      ...env,
    },
  });
}

const document = openApiDocument([phoneCallFunction], { mounted: false });

async function start(entry: AppwriteEntry, body: unknown, clientIp: string): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: '/start',
    headers: {
      host: 'phone-call.functions.example.test',
      'x-forwarded-proto': 'https',
      'content-type': 'application/json',
      'x-appwrite-trigger': 'http',
      'x-appwrite-client-ip': clientIp,
      'x-appwrite-key': FUNCTION_KEY,
    },
    body: JSON.stringify(body),
  });
  collected.push(...result.logs, ...result.errors);
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) for (const one of [value].flat()) headers.append(name, one);
  await expectDocumentedAnswer(document, 'POST', '/start', { status: result.statusCode, headers, body: result.text() });
  return result;
}

const letters: Record<string, string> = { Alfa: 'a', Bravo: 'b', Charlie: 'c', Delta: 'd', Echo: 'e', Foxtrot: 'f' };

describe('phone-call function on the Appwrite runtime', () => {
  it('calls through Twilio after Turnstile says yes, with only its appwrite.json scopes; the code opens a session with the web SDK', async () => {
    const phone = '+14155550123';
    const result = await start(entryWith(), { phone, captchaToken: vendor.solve('turnstile') }, '203.0.113.7');
    expect(result.statusCode, result.text()).toBe(202);
    const body = result.json() as { userId: string };
    expect(body.userId).toBe(await userIdForPhone(phone));

    expect(twilio.requests).toHaveLength(1);
    const spelled = /Your sign-in code is: ([^.]+)\./.exec(twilio.requests[0]!.fields['Twiml']!)?.[1];
    const code = spelled!
      .split(', ')
      .map((word) => letters[word] ?? word)
      .join('');
    expect(code).toMatch(/^[0-9a-f]{8}$/);
    expect(result.text()).not.toContain(code);

    freshBrowser();
    const account = new Account(new Client().setEndpoint(endpoint).setProject(PROJECT_ID));
    await account.createSession({ userId: body.userId, secret: code });
    expect((await account.get()).phone).toBe(phone);
    expect(collected.filter((line) => line.includes(code))).toEqual([]);
  });

  it('counts the per-number limit in the Appwrite table, across executions: the third call in 10 minutes is 429', async () => {
    const phone = '+14155550177';
    const statuses: number[] = [];
    for (const ip of ['203.0.113.20', '203.0.113.21', '203.0.113.22']) {
      statuses.push((await start(entryWith(), { phone, captchaToken: vendor.solve('turnstile') }, ip)).statusCode);
    }
    expect(statuses).toEqual([202, 202, 429]);
  });

  it('answers 503 delivery_unavailable when Twilio refuses the call', async () => {
    twilio.script({ kind: 'error', status: 400, code: 21215, message: 'Geo permissions' });
    const result = await start(entryWith(), { phone: '+14155550188', captchaToken: vendor.solve('turnstile') }, '203.0.113.30');
    expect(result.statusCode).toBe(503);
    expect(result.json()).toMatchObject({ type: 'delivery_unavailable' });
  });
});
