/**
 * Twilio Verify v2 with `Channel=call`: Twilio generates the numeric code, calls and reads it, and
 * checks it (shared/reference/security-and-vendors.md §4.4). Form-encoded, HTTP Basic auth (an API
 * key, or the account SID and auth token).
 *
 * @module
 */
import * as z from 'zod';
import { ConfigError, parseConfig } from '../config.js';
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import { definePort } from '../platform.js';
import { fetchPort, type OutboundFetch } from '../ports.js';

/**
 * The Verify service and where to reach it; the credentials are the voice provider's `TWILIO_*`.
 *
 * @example
 * ```ts
 * parseConfig(twilioVerifyConfigSchema, env).TWILIO_VERIFY_BASE_URL; // 'https://verify.twilio.com'
 * ```
 */
export const twilioVerifyConfigSchema = z.object({
  /** The Verify service (console → Verify → Services) whose code length, lifetime and voice apply. */
  TWILIO_VERIFY_SERVICE_SID: z.string().regex(/^VA[0-9a-f]{32}$/, 'must be VA and 32 hex digits').optional(),
  /** Tests point this at a local server; nobody else changes it. */
  TWILIO_VERIFY_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://verify.twilio.com'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be AC and 32 hex digits').optional(),
  TWILIO_API_KEY_SID: z.string().regex(/^SK[0-9a-f]{32}$/, 'must be SK and 32 hex digits').optional(),
  TWILIO_API_KEY_SECRET: z.string().trim().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().trim().min(1).optional(),
});

/** What a check found: the code is right, wrong, or its verification is gone (expired, used, 5 wrong tries). */
export type VerifyCheck = 'approved' | 'pending' | 'expired';

/** Twilio Verify, as the phone-call function uses it. */
export interface TwilioVerify {
  /** Asks Twilio to call `to` and read a code; throws `delivery_unavailable` when it did not. */
  start(to: string, locale: string | undefined): Promise<void>;
  /** Checks `code` for `to`; throws `delivery_unavailable` when Twilio cannot say. */
  check(to: string, code: string): Promise<VerifyCheck>;
}

const unavailable = () => new KitError('delivery_unavailable', 'The call could not be placed or the code checked. Try again later.');

/**
 * A Verify client for `TWILIO_VERIFY_SERVICE_SID`, or `null` when it is unset (the phone-call
 * function in `verify` mode then refuses to start).
 *
 * @example
 * ```ts
 * const verify = createTwilioVerify({ config, fetch, logger });
 * await verify?.start('+14155550123', 'en');
 * await verify?.check('+14155550123', '123456'); // 'approved'
 * ```
 */
export function createTwilioVerify({ config, fetch, logger }: { config: z.output<typeof twilioVerifyConfigSchema>; fetch: OutboundFetch; logger: Logger }): TwilioVerify | null {
  const service = config.TWILIO_VERIFY_SERVICE_SID;
  if (service === undefined) return null;
  const apiKey = config.TWILIO_API_KEY_SID !== undefined && config.TWILIO_API_KEY_SECRET !== undefined;
  const accountToken = config.TWILIO_ACCOUNT_SID !== undefined && config.TWILIO_AUTH_TOKEN !== undefined;
  if (!apiKey && !accountToken) {
    throw new ConfigError(['TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) are required with TWILIO_VERIFY_SERVICE_SID']);
  }
  const credentials = apiKey ? `${config.TWILIO_API_KEY_SID}:${config.TWILIO_API_KEY_SECRET}` : `${config.TWILIO_ACCOUNT_SID}:${config.TWILIO_AUTH_TOKEN}`;
  const headers = { authorization: `Basic ${btoa(credentials)}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const base = config.TWILIO_VERIFY_BASE_URL;

  /** Posts the form; Twilio's answer, or `delivery_unavailable` when none came. */
  async function post(step: 'start' | 'check', path: string, body: URLSearchParams) {
    try {
      const response = await fetch(new URL(`/v2/Services/${service}/${path}`, base), { method: 'POST', headers, body });
      const answer = (await response.json().catch(() => null)) as { status?: unknown; code?: unknown } | null;
      return { status: response.status, answer };
    } catch (error) {
      const reason = error instanceof DOMException && error.name === 'TimeoutError' ? 'timeout' : 'unreachable';
      logger.error('verify_failed', { provider: 'twilio-verify', step, reason });
      throw unavailable();
    }
  }
  /** Logs Twilio's status and error code (60203: too many sends, 60605: geo permissions, ...), never its message: it may quote the number. */
  function refused(step: 'start' | 'check', status: number, answer: { code?: unknown } | null): KitError {
    logger.error('verify_failed', { provider: 'twilio-verify', step, reason: 'twilio_refused', status, twilioCode: typeof answer?.code === 'number' ? answer.code : null });
    return unavailable();
  }

  return {
    async start(to, locale) {
      const body = new URLSearchParams({ To: to, Channel: 'call' });
      if (locale) body.set('Locale', locale.split(/[-_]/)[0]!.toLowerCase());
      const { status, answer } = await post('start', 'Verifications', body);
      if (status !== 201) throw refused('start', status, answer);
      logger.info('code_sent', { channel: 'voice', provider: 'twilio-verify' });
    },
    async check(to, code) {
      const { status, answer } = await post('check', 'VerificationCheck', new URLSearchParams({ To: to, Code: code }));
      // 404: expired, approved already, or never started; 60202 (always a 429): five wrong codes.
      if (status === 404 || answer?.code === 60202) return 'expired';
      if (status !== 200) throw refused('check', status, answer);
      if (answer?.status === 'approved') return 'approved';
      if (answer?.status === 'pending') return 'pending';
      throw refused('check', status, answer);
    },
  };
}

/**
 * The Verify client from `TWILIO_VERIFY_SERVICE_SID` and the `TWILIO_*` credentials, or `null`.
 *
 * @example
 * ```ts
 * ports: { verify: twilioVerifyPort }
 * ```
 */
export const twilioVerifyPort = definePort<TwilioVerify | null>((runtime) =>
  createTwilioVerify({ config: parseConfig(twilioVerifyConfigSchema, runtime.env), fetch: fetchPort.create(runtime), logger: runtime.logger }),
);
