/**
 * Twilio's call status callbacks: the signature (Twilio's documented vector), `StatusCallback` on
 * each call, and `POST /phone-call/status` through npm start's server, checked against the
 * configured URL (not the one the request reached), answers checked against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import phoneCallFunction from '../../functions/phone-call/index.js';
import { ConfigError } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import type { UserRecord } from '../../shared/users.js';
import { statusCallbackPort, twilioSignature, voicePort } from '../../shared/voice/index.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { createTestPlatform } from '../helpers/platform.js';
import { FAKE_TWILIO, startFakeTwilio, type FakeTwilio } from '../helpers/twilio-voice.js';

/** Where Twilio reaches the function: a public URL in front of this loopback server. */
const PUBLIC_URL = 'https://kit.example.test/phone-call/status';

const twilioEnv = (twilio: FakeTwilio) => ({
  VOICE_PROVIDER: 'twilio',
  TWILIO_API_URL: twilio.url,
  TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid,
  TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
  TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
  TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken,
  TWILIO_FROM_NUMBER: FAKE_TWILIO.from,
});

const lines: string[] = [];
const logger = createLogger((line) => void lines.push(line));
let twilio: FakeTwilio;
let server: RunningNodeServer;
let unconfigured: RunningNodeServer;
beforeAll(async () => {
  twilio = await startFakeTwilio();
  const env = { PORT: '0', CAPTCHA_PROVIDER: 'development', PHONE_CALL_COUNTRIES: 'US', ...twilioEnv(twilio) };
  server = await startNodeServer({ env: { ...env, TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL }, functions: [phoneCallFunction], logger });
  unconfigured = await startNodeServer({ env: { ...env, TWILIO_AUTH_TOKEN: '' }, functions: [phoneCallFunction], logger });
});
afterAll(async () => {
  await Promise.all([server.close(), unconfigured.close(), twilio.close()]);
});

const document = openApiDocument([phoneCallFunction], { mounted: true });

const completed = { AccountSid: FAKE_TWILIO.accountSid, CallSid: `CA${'c3'.repeat(16)}`, CallStatus: 'busy', CallDuration: '0', From: FAKE_TWILIO.from, To: '+14155550123' };

async function postStatus(target: RunningNodeServer, fields: Record<string, string>, signature?: string) {
  const response = await fetch(`${target.url}/phone-call/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'x-twilio-signature': signature }) },
    body: new URLSearchParams(fields),
  });
  await expectDocumentedAnswer(document, 'post', '/phone-call/status', response.clone());
  return { status: response.status, text: await response.text() };
}

describe('twilioSignature', () => {
  it("matches Twilio's documented example (auth token 12345)", async () => {
    // Given out of order: the signature sorts them by name.
    const params = { To: '+18005551212', Digits: '1234', From: '+14158675309', CallSid: 'CA1234567890ABCDE', Caller: '+14158675309' };
    expect(await twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });
});

describe('StatusCallback', () => {
  it('is sent with every call when TWILIO_STATUS_CALLBACK_URL is set', async () => {
    twilio.reset();
    const { runtime } = createTestPlatform({ env: { ...twilioEnv(twilio), TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL } });
    const user = { id: 'ph-x', phone: '+14155550123' } as UserRecord;
    await voicePort.create(runtime).voice!.send(user, { userId: 'ph-x', secret: 'abc12345', expire: new Date(Date.now() + 600_000).toISOString() });
    expect(twilio.requests[0]!.fields['StatusCallback']).toBe(PUBLIC_URL);
  });

  it('needs the auth token, which signs the callbacks', () => {
    const { runtime } = createTestPlatform({ env: { ...twilioEnv(twilio), TWILIO_AUTH_TOKEN: '', TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL } });
    expect(() => voicePort.create(runtime)).toThrow(ConfigError);
  });
});

describe('statusCallbackPort', () => {
  const verifierWith = (env: Record<string, string>) => statusCallbackPort.create(createTestPlatform({ env }).runtime);
  // No call is placed here: Twilio's address is never needed.
  const twilioAccount = {
    VOICE_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid,
    TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
    TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
    TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken,
    TWILIO_FROM_NUMBER: FAKE_TWILIO.from,
  };

  it.each([
    ['VOICE_PROVIDER is unset', { ...twilioAccount, VOICE_PROVIDER: '', TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL }],
    ['VOICE_PROVIDER is development', { ...twilioAccount, VOICE_PROVIDER: 'development', TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL }],
    ['TWILIO_STATUS_CALLBACK_URL is unset', twilioAccount],
  ])('checks no callback (there is no verifier) when %s', (_, env) => {
    expect(verifierWith(env)).toBeNull();
  });

  it("accepts only Twilio's signature, by the auth token, over the configured URL and the fields posted", async () => {
    const verifier = verifierWith({ ...twilioAccount, TWILIO_STATUS_CALLBACK_URL: PUBLIC_URL })!;
    expect(verifier.url).toBe(PUBLIC_URL);
    expect(await verifier.verify(completed, await twilioSignature(FAKE_TWILIO.authToken, PUBLIC_URL, completed))).toBe(true);
    expect(await verifier.verify(completed, undefined)).toBe(false);
    expect(await verifier.verify(completed, '')).toBe(false);
    expect(await verifier.verify(completed, await twilioSignature(FAKE_TWILIO.apiKeySecret, PUBLIC_URL, completed))).toBe(false);
    expect(await verifier.verify({ ...completed, CallStatus: 'completed' }, await twilioSignature(FAKE_TWILIO.authToken, PUBLIC_URL, completed))).toBe(false);
  });
});

describe('POST /phone-call/status', () => {
  it("accepts Twilio's signature over the configured URL: 204, a call that never connected logged as call_failed", async () => {
    const answer = await postStatus(server, completed, await twilioSignature(FAKE_TWILIO.authToken, PUBLIC_URL, completed));
    expect(answer).toEqual({ status: 204, text: '' });
    expect(lines).toContain(`call_failed callSid="${completed.CallSid}" status="busy" duration="0"`);

    const heard = { ...completed, CallStatus: 'completed', CallDuration: '31' };
    expect((await postStatus(server, heard, await twilioSignature(FAKE_TWILIO.authToken, PUBLIC_URL, heard))).status).toBe(204);
    expect(lines).toContain(`call_status callSid="${completed.CallSid}" status="completed" duration="31"`);
  });

  it.each([
    ['no signature', async () => undefined],
    ['a signature for another URL (the one the request reached)', async (url: string) => twilioSignature(FAKE_TWILIO.authToken, url, completed)],
    ['a signature by another key', async () => twilioSignature('another-auth-token', PUBLIC_URL, completed)],
    ['a signature over other fields', async () => twilioSignature(FAKE_TWILIO.authToken, PUBLIC_URL, { ...completed, CallStatus: 'completed' })],
  ])('refuses %s: 403 status_callback_invalid, nothing logged but the refusal', async (_, sign) => {
    const before = lines.length;
    const answer = await postStatus(server, completed, await sign(`${server.url}/phone-call/status`));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({ type: 'status_callback_invalid' });
    expect(lines.slice(before).filter((line) => /^call_(failed|status)/.test(line))).toEqual([]);
    expect(lines.slice(before)).toContain('status_callback_refused reason="signature"');
  });

  it('refuses every callback while TWILIO_STATUS_CALLBACK_URL is unset', async () => {
    const answer = await postStatus(unconfigured, completed, await twilioSignature(FAKE_TWILIO.authToken, PUBLIC_URL, completed));
    expect(answer.status).toBe(403);
    expect(lines).toContain('status_callback_refused reason="not_configured"');
  });
});
