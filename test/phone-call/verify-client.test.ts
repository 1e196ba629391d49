/**
 * The Twilio Verify client (`twilioVerifyPort`) against the loopback Twilio fake: when it exists,
 * which credentials it sends, the exact requests, how each of Twilio's answers reads
 * (approved, pending, expired, refused), and that anything it does not expect (an answer with no
 * JSON, a status it does not know, no answer at all) is `delivery_unavailable`, never `approved`.
 * Every failure is logged with Twilio's status and error code, never its message.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import { twilioVerifyPort, type TwilioVerify } from '../../shared/voice/index.js';
import { FAKE_TWILIO, startFakeTwilio, type FakeTwilio } from '../helpers/twilio-voice.js';
import { captureLogs } from '../sign-in/helpers.js';

let twilio: FakeTwilio;
beforeAll(async () => {
  twilio = await startFakeTwilio();
});
afterAll(() => twilio.close());
beforeEach(() => twilio.reset());

const apiKeyAuth = `Basic ${Buffer.from(`${FAKE_TWILIO.apiKeySid}:${FAKE_TWILIO.apiKeySecret}`).toString('base64')}`;
const accountAuth = `Basic ${Buffer.from(`${FAKE_TWILIO.accountSid}:${FAKE_TWILIO.authToken}`).toString('base64')}`;
const phone = '+14155550123';

const noAppwrite = (): never => {
  throw new Error('Verify never talks to Appwrite');
};

function verifyWith(env: Record<string, string | undefined> = {}, signal?: AbortSignal) {
  const { logger, lines } = captureLogs();
  const runtime = createRuntimeServices({
    kind: 'node',
    env: {
      TWILIO_VERIFY_SERVICE_SID: FAKE_TWILIO.verifyServiceSid,
      TWILIO_VERIFY_BASE_URL: twilio.url,
      TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
      TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
      OUTBOUND_TIMEOUT_MS: '500',
      ...env,
    },
    logger,
    clock: { now: () => Date.now() },
    appwrite: noAppwrite,
    rateLimitStore: noAppwrite,
    onceStore: noAppwrite,
    signal,
  });
  return { verify: twilioVerifyPort.create(runtime), lines };
}

const client = (env: Record<string, string | undefined> = {}, signal?: AbortSignal) => {
  const { verify, lines } = verifyWith(env, signal);
  return { verify: verify!, lines };
};

const unavailable = { type: 'delivery_unavailable', status: 503, message: 'The call could not be placed or the code checked. Try again later.' };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

describe('which Verify client there is', () => {
  it('is none while TWILIO_VERIFY_SERVICE_SID is unset, whatever the credentials', () => {
    expect(verifyWith({ TWILIO_VERIFY_SERVICE_SID: undefined }).verify).toBeNull();
  });

  it.each([
    ['no credentials', { TWILIO_API_KEY_SID: undefined, TWILIO_API_KEY_SECRET: undefined }],
    ['an API key SID without its secret', { TWILIO_API_KEY_SECRET: undefined }],
    ['an API key secret without its SID', { TWILIO_API_KEY_SID: undefined }],
    ['the account SID without the auth token', { TWILIO_API_KEY_SID: undefined, TWILIO_API_KEY_SECRET: undefined, TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid }],
    ['the auth token without the account SID', { TWILIO_API_KEY_SID: undefined, TWILIO_API_KEY_SECRET: undefined, TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken }],
  ])('refuses to start with a service but %s, naming the variables', (_, env) => {
    const error = (() => {
      try {
        verifyWith(env);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) are required with TWILIO_VERIFY_SERVICE_SID',
    ]);
  });

  it('signs in with the account SID and auth token when there is no API key, and with the API key whenever there is one', async () => {
    const accountOnly = { TWILIO_API_KEY_SID: undefined, TWILIO_API_KEY_SECRET: undefined, TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid, TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken };
    await client(accountOnly).verify.start(phone, undefined);
    await client({ TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid, TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken }).verify.start(phone, undefined);
    expect(twilio.requests.map((request) => request.authorization)).toEqual([accountAuth, apiKeyAuth]);
  });
});

describe('start', () => {
  it('asks Verify to call the number, in the language of the locale (Twilio takes the language only), and logs code_sent', async () => {
    const { verify, lines } = client();
    await verify.start(phone, 'pt_BR');
    await verify.start(phone, 'DE-ch');
    await verify.start(phone, undefined);
    expect(twilio.requests[0]).toEqual({
      method: 'POST',
      path: `/v2/Services/${FAKE_TWILIO.verifyServiceSid}/Verifications`,
      authorization: apiKeyAuth,
      contentType: 'application/x-www-form-urlencoded',
      accept: 'application/json',
      fields: { To: phone, Channel: 'call', Locale: 'pt' },
    });
    expect(twilio.requests.map((request) => request.fields)).toEqual([
      { To: phone, Channel: 'call', Locale: 'pt' },
      { To: phone, Channel: 'call', Locale: 'de' },
      { To: phone, Channel: 'call' },
    ]);
    expect(lines).toEqual(Array(3).fill('code_sent channel="voice" provider="twilio-verify"'));
  });

  it("is delivery_unavailable (503) once Twilio refuses (60203: a 6th send), logging Twilio's status and code", async () => {
    const { verify, lines } = client();
    for (let send = 0; send < 5; send++) await verify.start(phone, undefined);
    const refused = await failure(verify.start(phone, undefined));
    expect(refused).toBeInstanceOf(KitError);
    expect(refused).toMatchObject(unavailable);
    expect(lines.at(-1)).toBe('verify_failed provider="twilio-verify" step="start" reason="twilio_refused" status=429 twilioCode=60203');
  });
});

describe('check', () => {
  it('reads a wrong code as pending, the right one as approved, and a verification gone (approved, expired) as expired', async () => {
    const { verify, lines } = client();
    await verify.start(phone, undefined);
    const code = twilio.verifyCode(phone)!;
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await verify.check(phone, wrong)).toBe('pending');
    expect(await verify.check(phone, code)).toBe('approved');
    expect(await verify.check(phone, code)).toBe('expired');
    expect(twilio.requests.at(-1)).toEqual({
      method: 'POST',
      path: `/v2/Services/${FAKE_TWILIO.verifyServiceSid}/VerificationCheck`,
      authorization: apiKeyAuth,
      contentType: 'application/x-www-form-urlencoded',
      accept: 'application/json',
      fields: { To: phone, Code: code },
    });

    await verify.start(phone, undefined);
    twilio.expireVerification(phone);
    expect(await verify.check(phone, twilio.verifyCode(phone) ?? code)).toBe('expired');
    expect(lines.filter((line) => line.startsWith('verify_failed'))).toEqual([]);
  });

  it("reads Twilio's 60202 (five wrong codes) as expired, even for the right code", async () => {
    const { verify } = client();
    await verify.start(phone, undefined);
    const code = twilio.verifyCode(phone)!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt++) expect(await verify.check(phone, wrong)).toBe('pending');
    expect(await verify.check(phone, code)).toBe('expired');
  });

  it.each([
    ['a 429 that is not 60202 (too many concurrent requests)', { kind: 'error', status: 429, code: 20429, message: 'Too Many Requests' }, 'status=429 twilioCode=20429'],
    ['a 401', { kind: 'error', status: 401, code: 20003, message: 'Authenticate' }, 'status=401 twilioCode=20003'],
    ['a 200 with a status other than approved or pending', { kind: 'answer', status: 200, contentType: 'application/json', body: '{"status":"canceled","valid":false}' }, 'status=200 twilioCode=null'],
    ['a 200 without JSON', { kind: 'answer', status: 200, contentType: 'text/html', body: '<html>OK</html>' }, 'status=200 twilioCode=null'],
    ['a 429 without JSON (a proxy)', { kind: 'answer', status: 429, contentType: 'text/html', body: '<html>Slow down</html>' }, 'status=429 twilioCode=null'],
    ['a 502 without JSON (a proxy)', { kind: 'answer', status: 502, contentType: 'text/html', body: '<html>Bad gateway</html>' }, 'status=502 twilioCode=null'],
    ['an answer other than 200 whose body says approved', { kind: 'answer', status: 202, contentType: 'application/json', body: '{"status":"approved"}' }, 'status=202 twilioCode=null'],
  ] as const)('is delivery_unavailable (503), never approved, on %s, logging its status and code', async (_, script, logged) => {
    const { verify, lines } = client();
    twilio.script(script);
    const refused = await failure(verify.check(phone, '123456'));
    expect(refused).toBeInstanceOf(KitError);
    expect(refused).toMatchObject(unavailable);
    expect(lines).toEqual([`verify_failed provider="twilio-verify" step="check" reason="twilio_refused" ${logged}`]);
  });
});

describe('when Twilio gives no answer', () => {
  it.each([
    ['start', 'a dropped connection', 'unreachable', { kind: 'drop' }],
    ['check', 'a dropped connection', 'unreachable', { kind: 'drop' }],
    ['start', 'no answer before OUTBOUND_TIMEOUT_MS', 'timeout', { kind: 'hang' }],
    ['check', 'no answer before OUTBOUND_TIMEOUT_MS', 'timeout', { kind: 'hang' }],
  ] as const)('%s is delivery_unavailable (503) on %s, logged as %s', async (step, _, reason, script) => {
    const { verify, lines } = client();
    twilio.script(script);
    const refused = await failure(step === 'start' ? verify.start(phone, 'en') : verify.check(phone, '123456'));
    expect(refused).toMatchObject(unavailable);
    expect(lines).toEqual([`verify_failed provider="twilio-verify" step="${step}" reason="${reason}"`]);
  });

  it('logs a request abandoned by its client as unreachable, not as a Twilio timeout', async () => {
    const abandoned = new AbortController();
    abandoned.abort();
    const { verify, lines }: { verify: TwilioVerify; lines: string[] } = client({}, abandoned.signal);
    expect(await failure(verify.start(phone, 'en'))).toMatchObject(unavailable);
    expect(lines).toEqual(['verify_failed provider="twilio-verify" step="start" reason="unreachable"']);
  });
});
