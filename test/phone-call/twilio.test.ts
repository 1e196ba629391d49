/**
 * The voice port over Twilio, against the loopback Twilio fake: the exact request (URL, Basic
 * auth, form fields, the TwiML spelling the code), and every way Twilio can fail answering
 * `delivery_unavailable` without the code in any log line.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
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

function voiceWith(env: Record<string, string> = {}) {
  const { logger, lines } = captureLogs();
  const { runtime } = createTestPlatform({
    logger,
    clock,
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
    ['a 400 (geo permissions)', { kind: 'error', status: 400, code: 21215, message: 'Account not authorized to call +14155550123' }, 'twilio_refused'],
    ['a 401', { kind: 'error', status: 401, code: 20003, message: 'Authenticate' }, 'twilio_refused'],
    ['a 500', { kind: 'error', status: 500, code: 20500, message: 'Internal Server Error' }, 'twilio_refused'],
    ['a dropped connection', { kind: 'drop' }, 'unreachable'],
    ['no answer before OUTBOUND_TIMEOUT_MS', { kind: 'hang' }, 'timeout'],
  ] as const)('answers delivery_unavailable (503) on %s, logging why without the code or the number', async (_, script, reason) => {
    const { voice, lines } = voiceWith();
    twilio.script(script);
    const failure = await voice.send(user, token).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KitError);
    expect(failure).toMatchObject({ type: 'delivery_unavailable', status: 503 });
    const logged = lines.find((line) => line.startsWith('delivery_failed'));
    expect(logged).toContain(`reason="${reason}"`);
    if (script.kind === 'error') expect(logged).toContain(`twilioCode=${script.code}`);
    expect(lines.join('\n')).not.toContain(token.secret);
    expect(lines.join('\n')).not.toContain('4155550123');
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

  it('names every missing Twilio variable', () => {
    const error = (() => {
      try {
        build({ VOICE_PROVIDER: 'twilio' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_FROM_NUMBER', 'TWILIO_API_KEY_SID']) expect(problems).toContain(name);
  });

  it('refuses the development provider outside npm start', () => {
    expect(() => build({ VOICE_PROVIDER: 'development' })).toThrow(ConfigError);
  });
});
