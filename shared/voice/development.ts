/**
 * The development voice provider: "places" a call by recording what it would have said in the
 * embedded Appwrite's development outbox (`GET /_dev/outbox`, channel `voice`), so `npm start`
 * works without a Twilio account. It exists only where `runtime.development` is true.
 *
 * @module
 */
import { appwriteDate } from '../dev-appwrite/models.js';
import type { OutboxEntry } from '../dev-appwrite/outbox.js';
import type { Logger } from '../log.js';
import type { VoiceCaller } from './caller.js';

/**
 * What the development provider tells the operator (log and `GET /health`).
 *
 * @example
 * ```ts
 * runtime.notice(DEVELOPMENT_VOICE_NOTICE);
 * ```
 */
export const DEVELOPMENT_VOICE_NOTICE = 'voice: the development provider places no calls; it writes what it would say to /_dev/outbox (channel voice); never deploy it';

/**
 * @example
 * ```ts
 * const caller = createDevelopmentCaller(runtime.developmentOutbox!, logger, () => runtime.clock.now());
 * ```
 */
export function createDevelopmentCaller(outbox: { record(entry: OutboxEntry): void }, logger: Logger, now: () => number): VoiceCaller {
  return {
    async call(call) {
      const messageId = `call-${crypto.randomUUID().replaceAll('-', '')}`;
      outbox.record({ messageId, channel: 'voice', userId: call.userId, to: call.to, content: call.text, createdAt: appwriteDate(now()) });
      logger.info('code_sent', { channel: 'voice', provider: 'development', userId: call.userId });
    },
  };
}
