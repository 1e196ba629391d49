/**
 * PHONE_CALL_MODE=verify end to end: `npm start`'s server (the embedded Appwrite, the development
 * captcha) asking the loopback Twilio fake's Verify v2 to call, then checking the code the call read
 * out. Only a right code creates the user and answers a token, which the real `appwrite` web SDK
 * exchanges for a session. Every answer is checked against the OpenAPI document; the exact requests
 * to Twilio are asserted.
 */
import { Account, Client } from 'appwrite';
import { Client as ServerClient, Query, Users } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import phoneCallFunction from '../../functions/phone-call/index.js';
import { DEVELOPMENT_CAPTCHA_TOKEN } from '../../shared/captcha/index.js';
import { createLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { userIdForPhone } from '../../shared/sign-in/user-id.js';
import { freshBrowser } from '../helpers/browser.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { FAKE_TWILIO, startFakeTwilio, type FakeTwilio } from '../helpers/twilio-voice.js';

const lines: string[] = [];
const logger = createLogger((line) => void lines.push(line));
const functions = [phoneCallFunction];
const document = openApiDocument(functions, { mounted: true });
const basicAuth = `Basic ${Buffer.from(`${FAKE_TWILIO.apiKeySid}:${FAKE_TWILIO.apiKeySecret}`).toString('base64')}`;

let twilio: FakeTwilio;
let server: RunningNodeServer;
let voiceServer: RunningNodeServer;
beforeAll(async () => {
  twilio = await startFakeTwilio();
  // A day-long window for the code checks: on the wall clock, a shorter one could end mid-test.
  const env = { PORT: '0', TRUST_PROXY_HOPS: '1', CAPTCHA_PROVIDER: 'development', PHONE_CALL_COUNTRIES: 'US', PHONE_CALL_LIMIT_CHECK_NUMBER: '7/86400' };
  server = await startNodeServer({
    env: {
      ...env,
      PHONE_CALL_MODE: 'verify',
      TWILIO_VERIFY_SERVICE_SID: FAKE_TWILIO.verifyServiceSid,
      TWILIO_VERIFY_BASE_URL: twilio.url,
      TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
      TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
    },
    functions,
    logger,
  });
  voiceServer = await startNodeServer({ env: { ...env, VOICE_PROVIDER: 'development' }, functions, logger });
});
afterAll(async () => {
  await Promise.all([server.close(), voiceServer.close(), twilio.close()]);
  delete (globalThis as { window?: unknown }).window;
});
beforeEach(() => twilio.reset());

let lastIp = 0;
const freshIp = () => `10.9.0.${++lastIp}`;
let lastNumber = 0;
const freshPhone = () => `+1415${String(300 + ++lastNumber)}${String(2000 + lastNumber)}`;

async function post(target: RunningNodeServer, path: '/start' | '/verify', body: unknown, ip = freshIp()) {
  const response = await fetch(`${target.url}/phone-call${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify(body),
  });
  await expectDocumentedAnswer(document, 'post', `/phone-call${path}`, response);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const startCall = (phone: string) => post(server, '/start', { phone, captchaToken: DEVELOPMENT_CAPTCHA_TOKEN, locale: 'de-CH' });
const adminUsers = () => {
  const { endpoint, projectId, apiKey } = server.appwrite;
  return new Users(new ServerClient().setEndpoint(endpoint).setProject(projectId).setKey(apiKey!));
};
const usersWith = async (phone: string) => (await adminUsers().list({ queries: [Query.equal('phone', [phone])] })).total;

describe('PHONE_CALL_MODE=verify', () => {
  it('start asks Verify to call (no user yet); the right code creates the user and answers a token the web SDK opens a session with', async () => {
    const phone = freshPhone();
    const started = await startCall(phone);
    expect(started.status).toBe(202);
    expect(started.json).toEqual({ userId: await userIdForPhone(phone), expire: expect.any(String) });
    expect(await usersWith(phone)).toBe(0);
    expect(twilio.requests).toEqual([
      {
        method: 'POST',
        path: `/v2/Services/${FAKE_TWILIO.verifyServiceSid}/Verifications`,
        authorization: basicAuth,
        contentType: 'application/x-www-form-urlencoded',
        accept: 'application/json',
        fields: { To: phone, Channel: 'call', Locale: 'de' },
      },
    ]);

    const code = twilio.verifyCode(phone)!;
    const verified = await post(server, '/verify', { phone: phone.replace('+1415', '+1 415 '), code });
    expect(verified.status).toBe(200);
    expect(twilio.requests[1]).toEqual({
      method: 'POST',
      path: `/v2/Services/${FAKE_TWILIO.verifyServiceSid}/VerificationCheck`,
      authorization: basicAuth,
      contentType: 'application/x-www-form-urlencoded',
      accept: 'application/json',
      fields: { To: phone, Code: code },
    });
    const { userId, secret } = verified.json as { userId: string; secret: string };
    expect(userId).toBe(await userIdForPhone(phone));
    expect(await usersWith(phone)).toBe(1);

    freshBrowser();
    const account = new Account(new Client().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId));
    await account.createSession({ userId, secret });
    // Twilio heard the code the call read out: the number is proven, and the user's phone verified.
    expect(await account.get()).toMatchObject({ $id: userId, phone, phoneVerification: true });
    expect(lines).toContain(`phone_verified userId="${userId}"`);
    expect(lines.filter((line) => line.includes(code) || line.includes(secret))).toEqual([]);

    // Approved once: the verification is gone, as Twilio answers 404.
    expect(await post(server, '/verify', { phone, code })).toMatchObject({ status: 410, json: { type: 'code_expired' } });
  });

  it('a wrong code is code_invalid (401) and creates nobody; the right one still works after it', async () => {
    const phone = freshPhone();
    await startCall(phone);
    const code = twilio.verifyCode(phone)!;
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await post(server, '/verify', { phone, code: wrong })).toMatchObject({ status: 401, json: { type: 'code_invalid' } });
    expect(await usersWith(phone)).toBe(0);
    expect((await post(server, '/verify', { phone, code })).status).toBe(200);
  });

  it('marks the phone of an existing user verified once: a later sign-in finds it verified and leaves it', async () => {
    const phone = freshPhone();
    const userId = await userIdForPhone(phone);
    await adminUsers().create({ userId, phone });
    expect((await adminUsers().get({ userId })).phoneVerification).toBe(false);
    await startCall(phone);
    expect((await post(server, '/verify', { phone, code: twilio.verifyCode(phone)! })).status).toBe(200);
    expect((await adminUsers().get({ userId })).phoneVerification).toBe(true);

    await startCall(phone);
    expect((await post(server, '/verify', { phone, code: twilio.verifyCode(phone)! })).status).toBe(200);
    expect(lines.filter((line) => line === `phone_verified userId="${userId}"`)).toHaveLength(1);
  });

  it("after Twilio's 5 checks the 6th is code_expired (60202), even with the right code", async () => {
    const phone = freshPhone();
    await startCall(phone);
    const code = twilio.verifyCode(phone)!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt++) expect((await post(server, '/verify', { phone, code: wrong })).json).toMatchObject({ type: 'code_invalid' });
    expect(await post(server, '/verify', { phone, code })).toMatchObject({ status: 410, json: { type: 'code_expired' } });
    expect(await usersWith(phone)).toBe(0);
  });

  it('an expired verification is code_expired', async () => {
    const phone = freshPhone();
    await startCall(phone);
    const code = twilio.verifyCode(phone)!;
    twilio.expireVerification(phone);
    expect(await post(server, '/verify', { phone, code })).toMatchObject({ status: 410, json: { type: 'code_expired' } });
  });

  it('counts checks per number before asking Twilio: rate_limited without a request', async () => {
    const phone = freshPhone();
    await startCall(phone);
    twilio.reset();
    for (let attempt = 0; attempt < 7; attempt++) await post(server, '/verify', { phone, code: '123456' });
    expect(twilio.requests).toHaveLength(7);
    expect(await post(server, '/verify', { phone, code: '123456' })).toMatchObject({ status: 429, json: { type: 'rate_limited' } });
    expect(twilio.requests).toHaveLength(7);
  });

  it('Twilio down or refusing is delivery_unavailable (503), on start and on check', async () => {
    const phone = freshPhone();
    twilio.script({ kind: 'error', status: 500, code: 20500, message: 'Internal Server Error' });
    expect(await startCall(phone)).toMatchObject({ status: 503, json: { type: 'delivery_unavailable' } });
    twilio.script({ kind: 'drop' });
    expect(await post(server, '/verify', { phone, code: '123456' })).toMatchObject({ status: 503, json: { type: 'delivery_unavailable' } });
    expect(lines.some((line) => line.startsWith('verify_failed') && line.includes('twilioCode=20500'))).toBe(true);
  });

  it('the captcha is checked before Twilio is asked to call', async () => {
    expect(await post(server, '/start', { phone: freshPhone(), captchaToken: 'wrong' })).toMatchObject({ status: 403, json: { type: 'captcha_invalid' } });
    expect(twilio.requests).toEqual([]);
  });

  it('/verify is mode_disabled (404) in voice mode', async () => {
    expect(await post(voiceServer, '/verify', { phone: freshPhone(), code: '123456' })).toMatchObject({ status: 404, json: { type: 'mode_disabled' } });
  });
});
