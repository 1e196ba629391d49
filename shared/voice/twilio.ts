/**
 * Twilio Programmable Voice: `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`, form-encoded,
 * HTTP Basic auth (an API key, or the account SID and auth token), with the TwiML inline.
 *
 * @module
 */
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OutboundFetch } from '../ports.js';
import type { VoiceCall, VoiceCaller } from './caller.js';
import type { VoiceConfig } from './config.js';
import { codeCallTwiml, TWIML_MAX_CHARS } from './twiml.js';

/** What {@link createTwilioCaller} needs; the config is checked by `voiceConfigSchema`. */
export interface TwilioCallerOptions {
  config: Pick<VoiceConfig, 'TWILIO_API_KEY_SID' | 'TWILIO_API_KEY_SECRET' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_URL' | 'TWILIO_RING_SECONDS' | 'TWILIO_TIME_LIMIT_SECONDS' | 'TWILIO_STATUS_CALLBACK_URL'> & {
    TWILIO_ACCOUNT_SID: string;
    TWILIO_FROM_NUMBER: string;
  };
  fetch: OutboundFetch;
  logger: Logger;
}

const unavailable = () => new KitError('delivery_unavailable', 'The call could not be placed. Try again later.');

/**
 * A caller that places each call through Twilio. Any answer but 201, a refused connection or a
 * timeout is `delivery_unavailable` (503): the code reached nobody. Logs Twilio's error code and
 * the call SID, never the TwiML (it holds the code) or the number.
 *
 * @example
 * ```ts
 * const caller = createTwilioCaller({ config, fetch: fetchPort.create(runtime), logger });
 * await caller.call({ userId, to: '+14155550123', text: 'Your code is 4, Bravo.', language: 'en-US', repeat: 3 });
 * ```
 */
export function createTwilioCaller({ config, fetch, logger }: TwilioCallerOptions): VoiceCaller {
  const username = config.TWILIO_API_KEY_SID ?? config.TWILIO_ACCOUNT_SID;
  // Stryker disable next-line StringLiteral: voiceConfigSchema requires a secret or the auth token for twilio; '' only narrows the type
  const password = config.TWILIO_API_KEY_SECRET ?? config.TWILIO_AUTH_TOKEN ?? '';
  const authorization = `Basic ${btoa(`${username}:${password}`)}`;
  const url = new URL(`/2010-04-01/Accounts/${config.TWILIO_ACCOUNT_SID}/Calls.json`, config.TWILIO_API_URL);

  return {
    async call(call: VoiceCall) {
      const twiml = codeCallTwiml(call);
      if (twiml.length > TWIML_MAX_CHARS) {
        logger.error('delivery_failed', { channel: 'voice', userId: call.userId, reason: 'twiml_too_long' });
        throw unavailable();
      }
      const body = new URLSearchParams({
        To: call.to,
        From: config.TWILIO_FROM_NUMBER,
        Twiml: twiml,
        Timeout: String(config.TWILIO_RING_SECONDS),
        TimeLimit: String(config.TWILIO_TIME_LIMIT_SECONDS),
      });
      // Twilio's default event, `completed`, carries the final CallStatus (busy, no-answer, failed, ...).
      if (config.TWILIO_STATUS_CALLBACK_URL) body.set('StatusCallback', config.TWILIO_STATUS_CALLBACK_URL);
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body });
      } catch (error) {
        const reason = error instanceof DOMException && error.name === 'TimeoutError' ? 'timeout' : 'unreachable';
        logger.error('delivery_failed', { channel: 'voice', provider: 'twilio', userId: call.userId, reason });
        throw unavailable();
      }
      const answer = (await response.json().catch(() => null)) as { sid?: unknown; code?: unknown } | null;
      if (response.status !== 201) {
        // Twilio's error code (21215: geo permissions, 20003: auth, ...) says what to fix; its message may quote the number.
        const code = typeof answer?.code === 'number' ? answer.code : null;
        logger.error('delivery_failed', { channel: 'voice', provider: 'twilio', userId: call.userId, reason: 'twilio_refused', status: response.status, twilioCode: code });
        throw unavailable();
      }
      logger.info('code_sent', { channel: 'voice', provider: 'twilio', userId: call.userId, callSid: typeof answer?.sid === 'string' ? answer.sid : null });
    },
  };
}
