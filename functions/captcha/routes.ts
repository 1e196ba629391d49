/**
 * The captcha function's routes as data: what each accepts, answers and fails with. `app.ts` serves
 * them; the OpenAPI document describes them.
 *
 * @module
 */
import * as z from 'zod';
import { captchaTokenSchema } from '../../shared/captcha/index.js';
import { defineRoutes } from '../../shared/routes.js';
import { pendingAnswerSchema, tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { emailSchema, phoneSchema } from './identities.js';
import { localeSchema } from './messages.js';

const captchaField = captchaTokenSchema.describe('The captcha widget\'s token; or send it in the X-Captcha-Token header.');

/** What every code route can fail with, beyond the kit-wide errors of any JSON route. */
const codeErrors = [
  'captcha_invalid',
  'captcha_unavailable',
  'once_store_unavailable',
  'rate_limited',
  'rate_limiter_unavailable',
  'user_blocked',
  'account_conflict',
  'delivery_unavailable',
  'appwrite_error',
  'appwrite_unavailable',
] as const;

const codeSent = {
  description: 'A code is on its way; the same answer for a new and a known address. Ask the user for the code, then account.createSession({ userId, secret: code }).',
  schema: pendingAnswerSchema,
};

/**
 * @example
 * ```ts
 * serveRoutes(app, captchaRoutes, { email, sms, guest });
 * ```
 */
export const captchaRoutes = defineRoutes({
  email: {
    method: 'post',
    path: '/email',
    summary: 'After a captcha, email a sign-in code to an address; its user is created on first use.',
    description: 'Limits are counted before the captcha is checked and before any user is created. The answer never holds the code.',
    body: z.object({ email: emailSchema, captchaToken: captchaField, locale: localeSchema }),
    answers: { 202: codeSent },
    errors: codeErrors,
  },
  sms: {
    method: 'post',
    path: '/sms',
    summary: 'After a captcha, text a sign-in code to an E.164 phone number; its user is created on first use.',
    description: 'Limits are counted before the captcha is checked and before any user is created. The answer never holds the code.',
    body: z.object({ phone: phoneSchema, captchaToken: captchaField, locale: localeSchema }),
    answers: { 202: codeSent },
    errors: codeErrors,
  },
  guest: {
    method: 'post',
    path: '/guest',
    summary: 'After a captcha, create a user with no email or phone and answer its token (off unless CAPTCHA_GUEST_ENABLED).',
    body: z.object({ captchaToken: captchaField }),
    answers: { 200: { description: 'A new guest user. Exchange at once with account.createSession({ userId, secret }).', schema: tokenAnswerSchema } },
    errors: [
      'guest_disabled',
      'captcha_invalid',
      'captcha_unavailable',
      'once_store_unavailable',
      'rate_limited',
      'rate_limiter_unavailable',
      'appwrite_error',
      'appwrite_unavailable',
    ],
  },
});
