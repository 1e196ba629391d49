/**
 * Delivering a token secret: in the HTTP answer when the user already proved possession of the
 * account (password, OIDC), or out of band (email, SMS, a voice call) when receiving it is the proof.
 *
 * @module
 */
import { ID, Messaging } from 'node-appwrite';
import * as z from 'zod';
import { callAppwrite, createAppwriteClient } from '../appwrite/client.js';
import type { AppwriteConnection } from '../config.js';
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { IssuedToken, UserRecord } from '../users.js';

/** Channels that carry the secret somewhere other than the HTTP answer. */
export type OutOfBandChannel = 'email' | 'sms' | 'voice';

/** One way to reach a user out of band. */
export interface DeliveryChannel {
  /**
   * Throws `delivery_unavailable` when this user cannot be reached on this channel (no email, no
   * phone). The pipeline asks before minting a token, so no token is made that nobody can receive.
   */
  assertReachable(user: UserRecord): void;
  /**
   * Sends the secret to the user; throws a `KitError` (`delivery_unavailable`) when it cannot.
   * `text` replaces the channel's own words for this one message (a localised template).
   */
  send(user: UserRecord, token: IssuedToken, text?: MessageText): Promise<void>;
}

/** The delivery port: the channels a runtime can offer. `voice` comes from the phone-call function. */
export type Delivery = Partial<Record<OutOfBandChannel, DeliveryChannel>>;

/** The answer of a route that returns the secret itself. */
export const tokenAnswerSchema = z.object({
  userId: z.string().describe('The Appwrite user ID.'),
  secret: z.string().describe('Exchange at once with account.createSession({ userId, secret }).'),
  expire: z.string().describe('ISO 8601 time after which the secret no longer opens a session.'),
});

/** The answer of a route that sent the secret out of band: never the secret. */
export const pendingAnswerSchema = z.object({
  userId: z.string().describe('The Appwrite user ID; pass it with the code the user received to account.createSession.'),
  expire: z.string().describe('ISO 8601 time after which the code no longer opens a session.'),
});

/** The words of an out-of-band message. `{code}` and `{minutes}` are filled in. */
export interface MessageText {
  subject: string;
  body: string;
  /** Voice only: the language tag the words are spoken in (e.g. `en-US`). */
  language?: string;
}

/** Default texts; a function passes its own to {@link createMessagingDelivery}, or per message to `send`. */
export const defaultMessageText: MessageText = {
  subject: 'Your sign-in code',
  body: 'Your sign-in code is {code}. It expires in {minutes} minutes. If you did not ask for it, ignore this message.',
};

function fill(template: string, token: IssuedToken, now: number): string {
  const minutes = Math.max(1, Math.round((Date.parse(token.expire) - now) / 60_000));
  return template.replaceAll('{code}', token.secret).replaceAll('{minutes}', String(minutes));
}

/**
 * Email and SMS through **Appwrite Messaging**: `messaging.createEmail` / `createSMS` to the user's
 * own targets (Appwrite makes them from the user's email and phone). Needs the `messages.write`
 * scope and an enabled email or SMS provider in the project.
 *
 * Appwrite answers before sending (status `processing`); a provider failure shows only in the
 * message's status, never here. The message body holds the secret in clear for anyone with
 * `messages.read`: give that scope to no one who should not sign in as your users.
 *
 * @example
 * ```ts
 * const delivery = createMessagingDelivery(connection, logger);
 * await delivery.email!.send(user, token);
 * ```
 */
export function createMessagingDelivery(
  connection: AppwriteConnection,
  logger: Logger,
  /** `signal`: the request's (`RuntimeServices.signal`); once it has aborted, nothing is sent. */
  options: { text?: MessageText; now?: () => number; signal?: AbortSignal | undefined } = {},
): Delivery {
  const messaging = new Messaging(createAppwriteClient(connection));
  const text = options.text ?? defaultMessageText;
  const now = options.now ?? Date.now;
  const run = <T>(operation: string, call: () => Promise<T>) =>
    callAppwrite(call, { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation, signal: options.signal });

  function assertReachable(channel: 'email' | 'sms', user: UserRecord): void {
    if (channel === 'email' ? user.email : user.phone) return;
    logger.error('delivery_failed', { channel, userId: user.id, reason: 'no_address' });
    throw new KitError('delivery_unavailable', `This account has no ${channel === 'email' ? 'email address' : 'phone number'} to send a code to.`);
  }

  async function send(channel: 'email' | 'sms', user: UserRecord, call: () => Promise<unknown>): Promise<void> {
    assertReachable(channel, user);
    try {
      await call();
    } catch (error) {
      // callAppwrite logged transport failures; a 4xx here means the key or the project is wrong.
      logger.error('delivery_failed', { channel, userId: user.id, reason: error instanceof KitError ? error.type : 'appwrite_rejected' });
      throw new KitError('delivery_unavailable', 'The code could not be sent. Try again later.');
    }
    logger.info('code_sent', { channel, userId: user.id });
  }

  return {
    email: {
      assertReachable: (user) => assertReachable('email', user),
      send: (user, token, words = text) =>
        send('email', user, () =>
          run('messaging.createEmail', () =>
            messaging.createEmail({ messageId: ID.unique(), subject: words.subject, content: fill(words.body, token, now()), users: [user.id] }),
          ),
        ),
    },
    sms: {
      assertReachable: (user) => assertReachable('sms', user),
      send: (user, token, words = text) =>
        send('sms', user, () =>
          run('messaging.createSMS', () => messaging.createSMS({ messageId: ID.unique(), content: fill(words.body, token, now()), users: [user.id] })),
        ),
    },
  };
}
