/**
 * The voice channel over the development provider (`VOICE_PROVIDER=development`, npm start): the
 * call "placed" into the development outbox, what is logged, who is refused before any call, and
 * where the development provider refuses to run at all.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.js';
import { Outbox } from '../../shared/dev-appwrite/outbox.js';
import { KitError } from '../../shared/errors.js';
import { createRuntimeServices } from '../../shared/runtime/services.js';
import type { UserRecord } from '../../shared/users.js';
import { DEVELOPMENT_VOICE_NOTICE, voicePort } from '../../shared/voice/index.js';
import { manualClock } from '../helpers/clock.js';
import { captureLogs } from '../sign-in/helpers.js';

const clock = manualClock(Date.parse('2026-12-01T12:00:00Z'));
const alice = { id: 'ph-alice', phone: '+14155550123' } as UserRecord;
const token = { userId: alice.id, secret: 'a0f3b9c1', expire: new Date(clock.now() + 600_000).toISOString() };
const spoken = 'Your sign-in code is: Alfa, 0, Foxtrot, 3, Bravo, 9, Charlie, 1. It expires in 10 minutes. Never share it.';

const noAppwrite = (): never => {
  throw new Error('the voice port never talks to Appwrite');
};

/** Runtime services as npm start gives them (development, with the embedded Appwrite's outbox), unless told otherwise. */
function runtimeWith({ development = true, outbox = new Outbox() as Outbox | null } = {}) {
  const { logger, lines } = captureLogs();
  const runtime = createRuntimeServices({
    kind: 'node',
    development,
    developmentOutbox: outbox ?? undefined,
    env: { VOICE_PROVIDER: 'development' },
    logger,
    clock,
    appwrite: noAppwrite,
    rateLimitStore: noAppwrite,
    onceStore: noAppwrite,
  });
  return { runtime, lines, outbox };
}

describe('the development voice provider', () => {
  it('writes the call it would place to the outbox (channel voice: user, number, the words, when) and logs code_sent without them', async () => {
    const { runtime, lines, outbox } = runtimeWith();
    const voice = voicePort.create(runtime).voice!;
    await voice.send(alice, token);
    await voice.send(alice, token);

    const entries = outbox!.list();
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry).toEqual({
        messageId: expect.stringMatching(/^call-[0-9a-f]{32}$/),
        channel: 'voice',
        userId: 'ph-alice',
        to: '+14155550123',
        content: spoken,
        createdAt: '2026-12-01T12:00:00.000+00:00',
      });
    }
    expect(entries[0]!.messageId).not.toBe(entries[1]!.messageId);
    expect(lines.filter((line) => line.startsWith('code_sent'))).toEqual([
      'code_sent channel="voice" provider="development" userId="ph-alice"',
      'code_sent channel="voice" provider="development" userId="ph-alice"',
    ]);
    expect(lines.join('\n')).not.toContain(token.secret);
  });

  it('tells the operator it places no calls, once, in the log and the notices of /health', () => {
    const { runtime, lines } = runtimeWith();
    voicePort.create(runtime);
    voicePort.create(runtime);
    expect(runtime.notices).toEqual([DEVELOPMENT_VOICE_NOTICE]);
    expect(lines).toEqual([`notice message=${JSON.stringify(DEVELOPMENT_VOICE_NOTICE)}`]);
  });

  it.each([
    ['outside development', { development: false }],
    ['in development without the embedded Appwrite (no outbox)', { outbox: null }],
  ])('refuses to run %s: a ConfigError saying to set twilio, and no notice', (_, options) => {
    const { runtime } = runtimeWith(options);
    const error = (() => {
      try {
        voicePort.create(runtime);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['VOICE_PROVIDER: development places no calls, so it runs only with npm start and the embedded Appwrite; set twilio']);
    expect(runtime.notices).toEqual([]);
  });
});

describe('the voice channel', () => {
  const bob = { id: 'ph-bob', phone: '' } as UserRecord;

  it('refuses a user without a phone number before any call: delivery_unavailable (503), logged as no_address', async () => {
    const { runtime, lines, outbox } = runtimeWith();
    const voice = voicePort.create(runtime).voice!;

    const refusal = { type: 'delivery_unavailable', status: 503, message: 'This account has no phone number to call.' };
    expect(() => voice.assertReachable(bob)).toThrow(KitError);
    expect(() => voice.assertReachable(bob)).toThrow(expect.objectContaining(refusal));
    await expect(voice.send(bob, { ...token, userId: bob.id })).rejects.toMatchObject(refusal);

    expect(outbox!.list()).toEqual([]);
    expect(lines.filter((line) => line.startsWith('delivery_failed'))).toEqual(Array(3).fill('delivery_failed channel="voice" userId="ph-bob" reason="no_address"'));
  });

  it('finds a user with a phone number reachable, without a word in the log', () => {
    const { runtime, lines } = runtimeWith();
    const voice = voicePort.create(runtime).voice!;
    const before = lines.length;
    expect(() => voice.assertReachable(alice)).not.toThrow();
    expect(lines.slice(before)).toEqual([]);
  });
});
