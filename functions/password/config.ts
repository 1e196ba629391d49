/**
 * Environment variables of the password function.
 *
 * @module
 */
import * as z from 'zod';
import { envBool, envCorsOrigins, envInt } from '../../shared/config.js';
import { envRateLimitRules } from '../../shared/rate-limit/policies.js';
import { tokenExpire, tokenLength } from '../../shared/sign-in/token.js';

/** The password function's configuration schema. Every variable has a safe default. */
export const passwordConfigSchema = z.object({
  /** Length of the token secret returned by `/login`. 64 hex characters = 256 bits. */
  PASSWORD_TOKEN_LENGTH: tokenLength({ min: 32, default: 64 }),
  /** Seconds the secret stays valid. The client exchanges it at once, so the minimum is the default. */
  PASSWORD_TOKEN_EXPIRE: tokenExpire({ max: 900, default: 60 }),
  /** Whether `/change` logs the user out of every existing session. */
  PASSWORD_CHANGE_REVOKES_SESSIONS: envBool(true),
  /**
   * Growing delays per account (normalised username) on `/login` and `/change`: attempts counted
   * before the password is checked, and cleared by a success. After 5 attempts wait out the minute,
   * after 10 the quarter hour.
   */
  PASSWORD_LIMIT_ACCOUNT: envRateLimitRules('5/60,10/900'),
  /**
   * The hard cap per account: attempts, successful ones included, and never cleared by a success,
   * so a legitimate login cannot refund an attacker's guesses. At most twice this (two adjacent fixed
   * windows) can fall inside any rolling hour: 40, far below NIST's 100.
   */
  PASSWORD_LIMIT_ACCOUNT_CAP: envRateLimitRules('20/3600'),
  /** Login attempts per client IP (IPv6 per /64), across all accounts: stops one host spraying many accounts. */
  PASSWORD_LIMIT_LOGIN_IP: envRateLimitRules('20/60,200/3600'),
  /** Password changes per client IP. */
  PASSWORD_LIMIT_CHANGE_IP: envRateLimitRules('10/60,50/3600'),
  /** Registrations per client IP. */
  PASSWORD_LIMIT_REGISTER_IP: envRateLimitRules('5/600,20/86400'),
  /** Registrations across all clients: caps a distributed burst of sign-ups. */
  PASSWORD_LIMIT_REGISTER_ALL: envRateLimitRules('60/60,1000/3600'),
  /** Whether `/register` requires a solved captcha (needs `CAPTCHA_PROVIDER`), checked after the per-IP limits. */
  PASSWORD_CAPTCHA_ON_REGISTER: envBool(false),
  /**
   * After this many login attempts for an account (the typed username, known or not) without a
   * success in the same clock hour, `/login` and `/change` require a solved captcha too (needs
   * `CAPTCHA_PROVIDER`). A successful login or change clears the count. 0: never.
   */
  PASSWORD_CAPTCHA_AFTER_FAILURES: envInt({ min: 0, max: 1000, default: 0 }),
  /** Comma-separated origins allowed by CORS, or `*`. */
  CORS_ALLOWED_ORIGINS: envCorsOrigins(),
});

/** The password function's validated configuration. */
export type PasswordConfig = z.output<typeof passwordConfigSchema>;
