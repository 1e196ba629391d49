/**
 * Environment variables of the captcha function. The captcha itself (`CAPTCHA_PROVIDER`,
 * `CAPTCHA_SECRET`, ...) is configured by the verifier's own variables (`shared/captcha/config.ts`).
 *
 * @module
 */
import * as z from 'zod';
import { envBool, envCorsOrigins } from '../../shared/config.js';
import { envRateLimitRules } from '../../shared/rate-limit/policies.js';
import { tokenExpire, tokenLength } from '../../shared/sign-in/token.js';

/**
 * The captcha function's configuration schema. Every variable has a safe default.
 *
 * @example
 * ```ts
 * const config = parseConfig(captchaFunctionConfigSchema, process.env);
 * config.CAPTCHA_TOKEN_LENGTH; // 8
 * ```
 */
export const captchaFunctionConfigSchema = z.object({
  /**
   * Characters of the sign-in code (lower-case hex, Appwrite's token alphabet), which the user types.
   * Not the captcha's token: the secret Appwrite mints and the kit emails or texts.
   *
   * The code is guessed against `account.createSession`, which Appwrite limits to 10 attempts per
   * hour per client IP and user ID together (its abuse key is `ip:{ip},userId:{userId}`), and every
   * live code of the user matches a guess. 6 hex characters are 16.7M values: 10 guesses an hour
   * from one address against one live code succeed about once in 1.7M hours, but an attacker with
   * 1,000 addresses gets 10,000 guesses an hour (about 1 in 1,700 per hour, per live code). 8 hex
   * characters (4.3 billion values) keep that at about 1 in 430,000, and are still easy to type.
   * `CAPTCHA_LIMIT_USER` caps how many codes are live at once.
   */
  CAPTCHA_TOKEN_LENGTH: tokenLength({ min: 6, max: 64, default: 8 }),
  /**
   * Seconds a code stays valid: long enough for a slow email (Appwrite's own OTP uses 900), short
   * enough that few codes are live at once. At least 5 minutes.
   */
  CAPTCHA_TOKEN_EXPIRE: tokenExpire({ min: 300, max: 3600, default: 900 }),
  /** Whether `POST /guest` signs in new anonymous users. Off: it answers 403 `guest_disabled`. */
  CAPTCHA_GUEST_ENABLED: envBool(false),
  /**
   * `/email` requests per client IP (IPv6 per /64), whatever the address: the minute rule stops a
   * burst to many addresses from one host, the hour rule a slow one. A shared NAT needs room too.
   */
  CAPTCHA_LIMIT_EMAIL_IP: envRateLimitRules('5/60,30/3600'),
  /** `/sms` requests per client IP: tighter than email, as every text costs money (SMS pumping). */
  CAPTCHA_LIMIT_SMS_IP: envRateLimitRules('3/60,10/3600'),
  /** `/guest` requests per client IP: each one creates a user. */
  CAPTCHA_LIMIT_GUEST_IP: envRateLimitRules('3/600,10/86400'),
  /**
   * Codes requested per email address, known or not. Counted before the captcha, so anyone can run
   * it down for an address they know (a nuisance, never a sign-in): kept to one generous daily rule.
   */
  CAPTCHA_LIMIT_EMAIL: envRateLimitRules('10/86400'),
  /** Codes requested per phone number, known or not; as `CAPTCHA_LIMIT_EMAIL`. */
  CAPTCHA_LIMIT_PHONE: envRateLimitRules('5/86400'),
  /**
   * Codes per user, email and SMS together (the user an address belongs to, or would be created
   * as). Bounds the codes live at once, each of which a guess can match: at most 3 per 15 minutes
   * (6 across a window boundary) and 6 an hour.
   */
  CAPTCHA_LIMIT_USER: envRateLimitRules('3/900,6/3600'),
  /** Comma-separated origins allowed by CORS, or `*`. */
  CORS_ALLOWED_ORIGINS: envCorsOrigins(),
});

/** The captcha function's validated configuration. */
export type CaptchaFunctionConfig = z.output<typeof captchaFunctionConfigSchema>;
