/**
 * The development provider: accepts one fixed, published token, so `npm start` works without a
 * vendor account. It exists only where `runtime.development` is true (the embedded Appwrite).
 *
 * @module
 */
import { constantTimeEqualText } from '../constant-time.js';
import type { Logger } from '../log.js';
import { captchaInvalid, type CaptchaVerifier } from './verifier.js';

/**
 * The one token the development provider accepts. Public on purpose: it proves nothing.
 *
 * @example
 * ```ts
 * await fetch('http://localhost:3000/password/login', { method: 'POST', headers: { 'X-Captcha-Token': DEVELOPMENT_CAPTCHA_TOKEN }, body });
 * ```
 */
export const DEVELOPMENT_CAPTCHA_TOKEN = 'dev-captcha-pass';

/**
 * What the development provider tells the operator (log and `GET /health`).
 *
 * @example
 * ```ts
 * runtime.notice(DEVELOPMENT_CAPTCHA_NOTICE);
 * ```
 */
export const DEVELOPMENT_CAPTCHA_NOTICE = `captcha: the development provider accepts the fixed token "${DEVELOPMENT_CAPTCHA_TOKEN}"; never deploy it`;

/**
 * A verifier that accepts {@link DEVELOPMENT_CAPTCHA_TOKEN}, as often as it is sent, and nothing else.
 * The port checks `runtime.development` before building it.
 *
 * @example
 * ```ts
 * const captcha = createDevelopmentCaptcha(logger);
 * await captcha.verify(DEVELOPMENT_CAPTCHA_TOKEN, { clientIp: null }); // resolves
 * ```
 */
export function createDevelopmentCaptcha(logger: Logger): CaptchaVerifier {
  return {
    provider: 'development',
    async verify(token) {
      if (token === undefined || !(await constantTimeEqualText(token, DEVELOPMENT_CAPTCHA_TOKEN))) {
        logger.info('captcha_refused', { provider: 'development', reason: token === undefined || token === '' ? 'missing' : 'not_the_development_token' });
        throw captchaInvalid();
      }
    },
  };
}
