/**
 * The `voice` delivery channel of the sign-in pipeline: it turns a token into the words of a call
 * (the code spelled character by character) and has a provider place it.
 *
 * @module
 */
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeliveryChannel, MessageText } from '../sign-in/delivery.js';
import type { IssuedToken, UserRecord } from '../users.js';
import type { VoiceCaller } from './caller.js';
import { spellCode } from './speech.js';

/** The words when a route passes none. */
export const defaultVoiceText: MessageText = {
  subject: '',
  body: 'Your sign-in code is: {code}. It expires in {minutes} minutes. Never share it.',
  language: 'en-US',
};

/** Settings of every call the channel places. */
export interface VoiceChannelOptions {
  voice?: string | undefined;
  repeat: number;
  now: () => number;
  logger: Logger;
}

/**
 * A channel that calls the user's own phone number and reads the code aloud.
 *
 * @example
 * ```ts
 * const delivery = { voice: createVoiceChannel(caller, { repeat: 3, now: () => clock.now(), logger }) };
 * ```
 */
export function createVoiceChannel(caller: VoiceCaller, options: VoiceChannelOptions): DeliveryChannel {
  function assertReachable(user: UserRecord): void {
    if (user.phone) return;
    options.logger.error('delivery_failed', { channel: 'voice', userId: user.id, reason: 'no_address' });
    throw new KitError('delivery_unavailable', 'This account has no phone number to call.');
  }
  return {
    assertReachable,
    async send(user: UserRecord, token: IssuedToken, words: MessageText = defaultVoiceText) {
      assertReachable(user);
      const minutes = Math.max(1, Math.round((Date.parse(token.expire) - options.now()) / 60_000));
      const text = words.body.replaceAll('{code}', spellCode(token.secret)).replaceAll('{minutes}', String(minutes));
      await caller.call({ userId: user.id, to: user.phone, text, language: words.language ?? 'en-US', voice: options.voice, repeat: options.repeat });
    },
  };
}
