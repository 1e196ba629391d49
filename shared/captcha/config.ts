/**
 * The captcha variables, validated with zod. Errors name the variable, never its value.
 *
 * @module
 */
import * as z from 'zod';
import { envInt } from '../config.js';
import { captchaProviderNames } from './verifier.js';

// A list that trims to nothing would silently turn the hostname check off.
const hostnameList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean),
  )
  .refine((hostnames) => hostnames.length > 0, 'must list at least one hostname');

/**
 * The captcha variables. `CAPTCHA_SECRET` is required for every vendor; the rest have defaults.
 *
 * @example
 * ```ts
 * const config = parseConfig(captchaConfigSchema, runtime.env);
 * ```
 */
export const captchaConfigSchema = z
  .object({
    CAPTCHA_PROVIDER: z.enum(captchaProviderNames, { error: `must be one of ${captchaProviderNames.join(', ')}` }).optional(),
    CAPTCHA_SECRET: z.string().min(1).optional(),
    /** hCaptcha only: sent as `sitekey`, so a token solved for another site is refused. */
    CAPTCHA_SITE_KEY: z.string().min(1).optional(),
    CAPTCHA_SITEVERIFY_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    CAPTCHA_HOSTNAMES: hostnameList.optional(),
    CAPTCHA_ACTION: z.string().min(1).max(100).optional(),
    // A decimal checked by pattern, not z.coerce, which would also take '0x1' and '1e-1'.
    CAPTCHA_MIN_SCORE: z
      .string()
      .refine((value) => /^\d*\.?\d+$/.test(value) && Number(value) <= 1, 'must be a number from 0 to 1')
      .transform(Number)
      .default(0.5),
    CAPTCHA_MAX_AGE_SECONDS: envInt({ min: 10, max: 3600, default: 300 }),
    CAPTCHA_TIMEOUT_MS: envInt({ min: 100, max: 30_000, default: 3000 }),
  })
  .superRefine((config, context) => {
    const vendor = config.CAPTCHA_PROVIDER !== undefined && config.CAPTCHA_PROVIDER !== 'development';
    if (vendor && config.CAPTCHA_SECRET === undefined) {
      context.addIssue({ code: 'custom', path: ['CAPTCHA_SECRET'], message: `is required when CAPTCHA_PROVIDER is ${config.CAPTCHA_PROVIDER}` });
    }
  });

/** The parsed captcha variables. */
export type CaptchaConfig = z.output<typeof captchaConfigSchema>;
