/**
 * The voice port over Twilio, against the loopback Twilio fake: the exact request (URL, Basic
 * auth, form fields, the TwiML spelling the code), and every way Twilio can fail answering
 * `delivery_unavailable` without the code in any log line.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import type { UserRecord } from '../../shared/users.js';
import { voicePort } from '../../shared/voice/index.js';
import { manualClock } from '../helpers/clock.js';
import { createTestPlatform } from '../helpers/platform.js';
import { FAKE_TWILIO, startFakeTwilio, type FakeTwilio } from '../helpers/twilio-voice.js';
import { captureLogs } from '../sign-in/helpers.js';

let twilio: FakeTwilio;
beforeAll(async () => {
  twilio = await startFakeTwilio();
});
afterAll(() => twilio.close());
beforeEach(() => twilio.reset());

const user = { id: 'ph-alice', phone: '+14155550123' } as UserRecord;
const clock = manualClock(Date.parse('2026-12-01T12:00:00Z'));
const token = { userId: user.id, secret: 'a0f3b9c1', expire: new Date(clock.now() + 600_000).toISOString() };

const noAppwrite = (): never => {
  throw new Error('the voice port never talks to Appwrite');
};

function voiceWith(env: Record<string, string> = {}, signal?: AbortSignal) {
  const { logger, lines } = captureLogs();
  const runtime = createRuntimeServices({
    kind: 'node',
    logger,
    clock,
    appwrite: noAppwrite,
    rateLimitStore: noAppwrite,
    onceStore: noAppwrite,
    signal,
    env: {
      VOICE_PROVIDER: 'twilio',
      TWILIO_API_URL: twilio.url,
      TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid,
      TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid,
      TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret,
      TWILIO_FROM_NUMBER: FAKE_TWILIO.from,
      OUTBOUND_TIMEOUT_MS: '500',
      ...env,
    },
  });
  return { voice: voicePort.create(runtime).voice!, lines };
}

const unavailable = { type: 'delivery_unavailable', status: 503, message: 'The call could not be placed. Try again later.' };

const spoken = 'Your sign-in code is: Alfa, 0, Foxtrot, 3, Bravo, 9, Charlie, 1. It expires in 10 minutes. Never share it.';

describe('a call through Twilio', () => {
  it('posts the documented request: URL, API key Basic auth, form fields, TwiML spelling the code three times', async () => {
    const { voice, lines } = voiceWith();
    await voice.send(user, token);

    expect(twilio.requests).toHaveLength(1);
    const [request] = twilio.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${FAKE_TWILIO.accountSid}/Calls.json`,
      authorization: `Basic ${Buffer.from(`${FAKE_TWILIO.apiKeySid}:${FAKE_TWILIO.apiKeySecret}`).toString('base64')}`,
      contentType: 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
    const say = `<Say language="en-US">${spoken}</Say>`;
    expect(request!.fields).toEqual({
      To: '+14155550123',
      From: FAKE_TWILIO.from,
      Twiml: `<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/>${say}<Pause length="2"/>${say}<Pause length="2"/>${say}</Response>`,
      Timeout: '30',
      TimeLimit: '90',
    });
    expect(lines.join('\n')).not.toContain(token.secret);
    expect(lines.find((line) => line.startsWith('code_sent'))).toMatch(/^code_sent channel="voice" provider="twilio" userId="ph-alice" callSid="CA[0-9a-f]{32}"$/);
  });

  it('takes the account SID and auth token instead, the language, voice, repeat count and call limits from its variables', async () => {
    const { voice } = voiceWith({
      TWILIO_API_KEY_SID: '',
      TWILIO_API_KEY_SECRET: '',
      TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken,
      VOICE_NAME: 'Polly.Vicki',
      VOICE_REPEAT: '1',
      TWILIO_RING_SECONDS: '20',
      TWILIO_TIME_LIMIT_SECONDS: '60',
    });
    await voice.send(user, token, { subject: '', body: 'Code {code}', language: 'de-DE' });
    const [request] = twilio.requests;
    expect(request!.authorization).toBe(`Basic ${Buffer.from(`${FAKE_TWILIO.accountSid}:${FAKE_TWILIO.authToken}`).toString('base64')}`);
    expect(request!.fields).toMatchObject({
      Timeout: '20',
      TimeLimit: '60',
      Twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/><Say language="de-DE" voice="Polly.Vicki">Code Alfa, 0, Foxtrot, 3, Bravo, 9, Charlie, 1</Say></Response>',
    });
  });

  it.each([
    ['a 400 (geo permissions)', { kind: 'error', status: 400, code: 21215, message: 'Account not authorized to call +14155550123' }, 'reason="twilio_refused" status=400 twilioCode=21215'],
    ['a 401', { kind: 'error', status: 401, code: 20003, message: 'Authenticate' }, 'reason="twilio_refused" status=401 twilioCode=20003'],
    ['a 500', { kind: 'error', status: 500, code: 20500, message: 'Internal Server Error' }, 'reason="twilio_refused" status=500 twilioCode=20500'],
    ['a 502 without JSON (a proxy)', { kind: 'answer', status: 502, contentType: 'text/html', body: '<html>Bad gateway</html>' }, 'reason="twilio_refused" status=502 twilioCode=null'],
    ['a 200 (not the 201 of a created call)', { kind: 'answer', status: 200, contentType: 'application/json', body: '{}' }, 'reason="twilio_refused" status=200 twilioCode=null'],
    ['a dropped connection', { kind: 'drop' }, 'reason="unreachable"'],
    ['no answer before OUTBOUND_TIMEOUT_MS', { kind: 'hang' }, 'reason="timeout"'],
  ] as const)('answers delivery_unavailable (503) on %s, logging why without the code or the number', async (_, script, why) => {
    const { voice, lines } = voiceWith();
    twilio.script(script);
    const failure = await voice.send(user, token).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KitError);
    expect(failure).toMatchObject(unavailable);
    expect(lines).toEqual([`delivery_failed channel="voice" provider="twilio" userId="ph-alice" ${why}`]);
    expect(lines.join('\n')).not.toContain(token.secret);
    expect(lines.join('\n')).not.toContain('4155550123');
  });

  it('logs a call abandoned with its request as unreachable, not as a Twilio timeout', async () => {
    const abandoned = new AbortController();
    abandoned.abort();
    const { voice, lines } = voiceWith({}, abandoned.signal);
    await expect(voice.send(user, token)).rejects.toMatchObject(unavailable);
    expect(lines).toEqual(['delivery_failed channel="voice" provider="twilio" userId="ph-alice" reason="unreachable"']);
  });

  it('counts a 201 as a placed call even when its body cannot be read, logging no call SID', async () => {
    const { voice, lines } = voiceWith();
    twilio.script({ kind: 'answer', status: 201, contentType: 'text/plain', body: 'Created' });
    await voice.send(user, token);
    expect(lines).toEqual(['code_sent channel="voice" provider="twilio" userId="ph-alice" callSid=null']);
  });

  it("sends TwiML of Twilio's 4000 characters, and refuses a longer one before calling, logged as twiml_too_long", async () => {
    const { voice, lines } = voiceWith({ VOICE_REPEAT: '1' });
    // Words without a language are spoken in en-US.
    const frame = '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/><Say language="en-US"></Say></Response>';
    const words = (length: number) => ({ subject: '', body: 'x'.repeat(length - frame.length) });

    await voice.send(user, token, words(4000));
    expect(twilio.requests).toHaveLength(1);
    expect(twilio.requests[0]!.fields['Twiml']).toBe(frame.replace('</Say>', `${'x'.repeat(4000 - frame.length)}</Say>`));

    await expect(voice.send(user, token, words(4001))).rejects.toMatchObject(unavailable);
    expect(twilio.requests).toHaveLength(1);
    expect(lines.at(-1)).toBe('delivery_failed channel="voice" userId="ph-alice" reason="twiml_too_long"');
  });

  it('refuses a wrong API key as Twilio does (the fake checks the credentials)', async () => {
    const { voice } = voiceWith({ TWILIO_API_KEY_SECRET: 'wrong' });
    await expect(voice.send(user, token)).rejects.toMatchObject({ type: 'delivery_unavailable' });
  });
});

describe('voice configuration', () => {
  const build = (env: Record<string, string>, development = false) => voicePort.create(createTestPlatform({ env, development }).runtime);

  it('offers no voice channel without VOICE_PROVIDER', () => {
    expect(build({})).toEqual({});
  });

  const problemsOf = (env: Record<string, string>) => {
    try {
      build(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };
  const twilioEnv = { VOICE_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: FAKE_TWILIO.accountSid, TWILIO_FROM_NUMBER: FAKE_TWILIO.from };
  const apiKey = { TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid, TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret };

  it('names every missing Twilio variable', () => {
    expect(problemsOf({ VOICE_PROVIDER: 'twilio' })).toEqual([
      'TWILIO_ACCOUNT_SID: is required when VOICE_PROVIDER is twilio',
      'TWILIO_FROM_NUMBER: is required when VOICE_PROVIDER is twilio',
      'TWILIO_API_KEY_SID: and TWILIO_API_KEY_SECRET (or TWILIO_AUTH_TOKEN) are required when VOICE_PROVIDER is twilio',
    ]);
  });

  it.each([
    ['an API key SID without its secret', { TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid }],
    ['an API key secret without its SID', { TWILIO_API_KEY_SECRET: FAKE_TWILIO.apiKeySecret }],
    ['half an API key, even with the auth token', { TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid, TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken }],
  ])('refuses %s: the two go together', (_, env) => {
    expect(problemsOf({ ...twilioEnv, ...env })).toEqual(['TWILIO_API_KEY_SID: and TWILIO_API_KEY_SECRET go together']);
  });

  it('refuses TWILIO_STATUS_CALLBACK_URL without the auth token that signs the callbacks', () => {
    expect(problemsOf({ ...twilioEnv, ...apiKey, TWILIO_STATUS_CALLBACK_URL: 'https://kit.example.test/phone-call/status' })).toEqual([
      'TWILIO_AUTH_TOKEN: is required with TWILIO_STATUS_CALLBACK_URL: Twilio signs callbacks with it',
    ]);
  });

  it('calls with an API key alone or the auth token alone', () => {
    expect(build({ ...twilioEnv, ...apiKey }).voice).toBeDefined();
    expect(build({ ...twilioEnv, TWILIO_AUTH_TOKEN: FAKE_TWILIO.authToken }).voice).toBeDefined();
  });

  it("checks Twilio's variables only when VOICE_PROVIDER is twilio", () => {
    expect(problemsOf({ TWILIO_API_KEY_SID: FAKE_TWILIO.apiKeySid, TWILIO_STATUS_CALLBACK_URL: 'https://kit.example.test/phone-call/status' })).toEqual([]);
  });

  it('refuses the development provider outside npm start', () => {
    expect(() => build({ VOICE_PROVIDER: 'development' })).toThrow(ConfigError);
  });
});
