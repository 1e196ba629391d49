/**
 * The captcha port: picks the provider `CAPTCHA_PROVIDER` names and builds its verifier.
 *
 * @module
 */
import { ConfigError, parseConfig } from '../config.js';
import { definePort, type RuntimeServices } from '../platform.js';
import { fetchPort } from '../ports.js';
import { captchaConfigSchema } from './config.js';
import { createDevelopmentCaptcha, DEVELOPMENT_CAPTCHA_NOTICE } from './development.js';
import { createSiteverifyCaptcha } from './siteverify.js';
import { captchaUnavailable, type CaptchaVerifier } from './verifier.js';

function createCaptchaVerifier(runtime: RuntimeServices): CaptchaVerifier {
  const config = parseConfig(captchaConfigSchema, runtime.env);
  const { logger } = runtime;
  switch (config.CAPTCHA_PROVIDER) {
    case undefined:
      // Built without failing, so a function that only sometimes needs a captcha still starts;
      // the routes that do need one answer 503 until an operator configures it.
      return {
        provider: null,
        async verify() {
          logger.error('captcha_unavailable', { reason: 'CAPTCHA_PROVIDER is not set' });
          throw captchaUnavailable();
        },
      };
    case 'development':
      if (!runtime.development) {
        throw new ConfigError([
          'CAPTCHA_PROVIDER: development accepts a fixed, published token, so it runs only with npm start and the embedded Appwrite; set a vendor (turnstile, hcaptcha, recaptcha-v2, recaptcha-v3)',
        ]);
      }
      runtime.notice(DEVELOPMENT_CAPTCHA_NOTICE);
      return createDevelopmentCaptcha(logger);
    default:
      return createSiteverifyCaptcha({
        provider: config.CAPTCHA_PROVIDER,
        // The schema requires the secret for every vendor; this narrows the type.
        config: { ...config, CAPTCHA_SECRET: config.CAPTCHA_SECRET! },
        fetch: fetchPort.create(runtime),
        once: runtime.onceStore(),
        clock: runtime.clock,
        logger,
      });
  }
}

/**
 * The captcha verifier `CAPTCHA_PROVIDER` configures. Its Appwrite scopes are the once-store's:
 * every token a vendor accepts is recorded there, so it cannot be accepted twice.
 *
 * Rate limits are the calling function's job, before `verify`: each verification is a vendor call.
 *
 * @example
 * ```ts
 * ports: { captcha: captchaPort, rateLimits: rateLimitsPort }
 * await captcha.verify(captchaTokenFrom(c, body.captchaToken), { clientIp: c.env.clientIp });
 * ```
 */
export const captchaPort = definePort<CaptchaVerifier>(createCaptchaVerifier, ['rows.read', 'rows.write']);
