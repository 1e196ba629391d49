/**
 * Captcha verification any kit function can require: Cloudflare Turnstile, hCaptcha, reCAPTCHA v2
 * and v3 through their siteverify endpoints, and a development provider for `npm start`.
 *
 * A route calls `verify` after its rate limits (each call costs a vendor round trip) and before
 * anything else: a missing, refused, spent or stale token is a 403 `captcha_invalid`; a vendor
 * that cannot be trusted to answer is a 503 `captcha_unavailable`. Never open.
 *
 * @example
 * ```ts
 * ports: { captcha: captchaPort }
 * app.post('/login', jsonBody(z.object({ captchaToken: captchaTokenSchema })), async (c) => {
 *   await captcha.verify(captchaTokenFrom(c, c.req.valid('json').captchaToken), { clientIp: c.env.clientIp, action: 'login' });
 * });
 * ```
 *
 * @module
 */
export { DEVELOPMENT_CAPTCHA_TOKEN } from './development.js';
export { captchaPort } from './port.js';
export { captchaTokenFrom, captchaTokenSchema, type CaptchaContext, type CaptchaProviderName, type CaptchaVerifier } from './verifier.js';
