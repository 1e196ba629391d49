/**
 * Environment variables of the phone-call function. The provider (`VOICE_PROVIDER`, `TWILIO_*`,
 * `VOICE_NAME`, `VOICE_REPEAT`) is configured by the voice port's own variables
 * (`shared/voice/config.ts`), the captcha by the captcha verifier's (`CAPTCHA_*`).
 *
 * @module
 */
import * as z from 'zod';
import { envBool, envCorsOrigins } from '../../shared/config.js';
import { envRateLimitRules } from '../../shared/rate-limit/policies.js';
import { tokenExpire, tokenLength } from '../../shared/sign-in/token.js';

/** ISO 3166-1 alpha-2 codes, comma-separated, upper-cased. Empty is allowed here and refused at start. */
const countryList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean),
  )
  .refine((codes) => codes.every((code) => /^[A-Z]{2}$/.test(code)), 'must be ISO 3166-1 alpha-2 country codes, comma-separated, such as US,CA,DE');

/**
 * The phone-call function's configuration schema.
 *
 * @example
 * ```ts
 * const config = parseConfig(phoneCallConfigSchema, { PHONE_CALL_COUNTRIES: 'US,CA' });
 * config.PHONE_CALL_COUNTRIES; // ['US', 'CA']
 * ```
 */
export const phoneCallConfigSchema = z.object({
  /**
   * `voice` (default): the kit mints the Appwrite token and Twilio Programmable Voice reads it out
   * (`VOICE_PROVIDER`); Appwrite checks it. `verify`: Twilio Verify (`TWILIO_VERIFY_SERVICE_SID`)
   * calls with its own numeric code and checks it at `/verify`, which then answers the token.
   */
  PHONE_CALL_MODE: z.enum(['voice', 'verify'], { error: 'must be voice or verify' }).default('voice'),
  /**
   * Countries whose numbers may be called. Required: every country opened is a toll-fraud surface,
   * so none is open by default (an empty list stops the function with `config_invalid`).
   */
  PHONE_CALL_COUNTRIES: countryList,
  /**
   * Whether `/start` needs a solved captcha. On by default: every call costs money and an unguarded
   * endpoint that dials numbers is what toll fraud looks for. Turn off only when something else in
   * front of it (app attestation, a signed-in step) already proves a human.
   */
  PHONE_CALL_CAPTCHA: envBool(true),
  /**
   * Characters of the code (lower-case hex) read aloud. 8 keeps guessing against
   * `account.createSession` as hard as the captcha function's codes (see `CAPTCHA_TOKEN_LENGTH`)
   * and still reads in about ten seconds.
   */
  PHONE_CALL_TOKEN_LENGTH: tokenLength({ min: 6, max: 12, default: 8 }),
  /** Seconds a code stays valid: the call comes at once, so shorter than an email code. */
  PHONE_CALL_TOKEN_EXPIRE: tokenExpire({ min: 120, max: 1800, default: 600 }),
  /** Calls per client IP (IPv6 per /64). */
  PHONE_CALL_LIMIT_IP: envRateLimitRules('3/600,10/86400'),
  /** Calls per number, known or not (Telnyx's guidance: 3 per 10 minutes at most). */
  PHONE_CALL_LIMIT_NUMBER: envRateLimitRules('2/600,5/86400'),
  /** Calls per number prefix (the number without its last 4 digits): IRSF pumps whole ranges. */
  PHONE_CALL_LIMIT_PREFIX: envRateLimitRules('5/3600,20/86400'),
  /** Calls per destination country. */
  PHONE_CALL_LIMIT_COUNTRY: envRateLimitRules('100/3600,500/86400'),
  /** Calls by everyone together: the daily cost ceiling. */
  PHONE_CALL_LIMIT_TOTAL: envRateLimitRules('1000/86400'),
  /** Calls per user (the one the number belongs to or would be created as): bounds the live codes. */
  PHONE_CALL_LIMIT_USER: envRateLimitRules('3/900,6/3600'),
  /** Verify mode: code checks per client IP (IPv6 per /64), counted before Twilio is asked. */
  PHONE_CALL_LIMIT_CHECK_IP: envRateLimitRules('20/600,100/86400'),
  /** Verify mode: code checks per number; Twilio allows 5 per call, this bounds them across calls. */
  PHONE_CALL_LIMIT_CHECK_NUMBER: envRateLimitRules('10/600,30/86400'),
  /** Comma-separated origins allowed by CORS, or `*`. */
  CORS_ALLOWED_ORIGINS: envCorsOrigins(),
});

/** The phone-call function's validated configuration. */
export type PhoneCallConfig = z.output<typeof phoneCallConfigSchema>;
