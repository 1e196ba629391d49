/**
 * What a kit function sees of captcha verification: the {@link CaptchaVerifier} port, and how a
 * route reads the token from a request.
 *
 * @module
 */
import type { Context } from 'hono';
import * as z from 'zod';
import { KitError } from '../errors.js';
import type { KitEnv } from '../http.js';

/** The providers `CAPTCHA_PROVIDER` may name. `development` runs only with `npm start` and the embedded Appwrite. */
export const captchaProviderNames = ['turnstile', 'hcaptcha', 'recaptcha-v2', 'recaptcha-v3', 'development'] as const;

/**
 * A provider `CAPTCHA_PROVIDER` may name.
 *
 * @example
 * ```ts
 * const provider: CaptchaProviderName = 'turnstile';
 * ```
 */
export type CaptchaProviderName = (typeof captchaProviderNames)[number];

/** What the route knows about the request, beyond the token. */
export interface CaptchaContext {
  /** The client IP as the platform reports it (`c.env.clientIp`); sent to the vendor as `remoteip` when known. */
  clientIp: string | null;
  /** The action this route expects (Turnstile, reCAPTCHA v3); overrides `CAPTCHA_ACTION`. */
  action?: string;
}

/**
 * Proves a request came from a human, once.
 *
 * @example
 * ```ts
 * ports: { captcha: captchaPort }
 * await captcha.verify(captchaTokenFrom(c, body.captchaToken), { clientIp: c.env.clientIp, action: 'login' });
 * ```
 */
export interface CaptchaVerifier {
  /** The configured provider, or null when CAPTCHA_PROVIDER is unset (then verify throws captcha_unavailable and logs why). */
  readonly provider: CaptchaProviderName | null;
  /**
   * Resolves when the token is a fresh, valid human proof; otherwise throws KitError 'captcha_invalid'
   * (403: missing, malformed, refused, spent, wrong hostname/action, too old, low score) or
   * 'captcha_unavailable' (503: vendor error, 5xx, timeout, unreachable, malformed vendor JSON, not configured).
   */
  verify(token: string | undefined, context: CaptchaContext): Promise<void>;
}

/** Longest token accepted. Vendors' tokens are far shorter (Turnstile: at most 2048 characters). */
export const CAPTCHA_TOKEN_MAX_LENGTH = 4096;

/**
 * The `captchaToken` field of a JSON request body: optional (the header may carry it instead), bounded.
 *
 * @example
 * ```ts
 * const loginSchema = z.object({ username: z.string(), password: z.string(), captchaToken: captchaTokenSchema });
 * ```
 */
export const captchaTokenSchema = z.string().max(CAPTCHA_TOKEN_MAX_LENGTH).optional();

/** The header a client may send the token in instead of the JSON field. */
export const CAPTCHA_TOKEN_HEADER = 'X-Captcha-Token';

/**
 * The token of a request: the JSON body's `captchaToken`, else the `X-Captcha-Token` header.
 *
 * @example
 * ```ts
 * const token = captchaTokenFrom(c, c.req.valid('json').captchaToken);
 * ```
 */
export function captchaTokenFrom(c: Context<KitEnv>, bodyToken: string | undefined): string | undefined {
  if (bodyToken !== undefined && bodyToken !== '') return bodyToken;
  return c.req.header(CAPTCHA_TOKEN_HEADER) || undefined;
}

/**
 * The 403 every refused token gets. One message for every reason, so a client learns nothing about
 * which check failed; the reason goes to the log.
 *
 * @example
 * ```ts
 * throw captchaInvalid();
 * ```
 */
export function captchaInvalid(): KitError {
  return new KitError('captcha_invalid', 'The captcha was not solved, or its proof is invalid, spent or too old. Solve it again.');
}

/**
 * The 503 when the kit cannot get an answer it trusts (vendor down, misconfigured, not configured).
 *
 * @example
 * ```ts
 * throw captchaUnavailable();
 * ```
 */
export function captchaUnavailable(): KitError {
  return new KitError('captcha_unavailable', 'The captcha check is unavailable. Try again later.');
}
