/**
 * The phone-call function's routes as data: what each accepts, answers and fails with. `app.ts`
 * serves them; the OpenAPI document describes them.
 *
 * @module
 */
import * as z from 'zod';
import { captchaTokenSchema } from '../../shared/captcha/index.js';
import { defineRoutes } from '../../shared/routes.js';
import { pendingAnswerSchema, tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { localeSchema } from './messages.js';

const phoneSchema = z.string().max(32).describe('The phone number in international form: "+", the country code and the number, e.g. +14155550123 (spaces allowed).');

/**
 * @example
 * ```ts
 * serveRoutes(app, phoneCallRoutes, { start, verify, status });
 * ```
 */
export const phoneCallRoutes = defineRoutes({
  start: {
    method: 'post',
    path: '/start',
    summary: 'Call a phone number and read a sign-in code aloud; its user is created on first use.',
    description:
      'The number must be valid, a personal line (not premium-rate, shared-cost, toll-free, ...) in an allowed country. ' +
      'Limits (per IP, number, number prefix, country, in total, per user) are counted before the captcha is checked, any user is created or any call placed. ' +
      'The answer never holds the code: ask the user for it, then account.createSession({ userId, secret: code }) (PHONE_CALL_MODE=voice) ' +
      'or POST /verify { phone, code } (PHONE_CALL_MODE=verify: Twilio Verify calls with its own numeric code; no user is created until the code is right).',
    body: z.object({
      phone: phoneSchema,
      captchaToken: captchaTokenSchema.describe("The captcha widget's token (unless PHONE_CALL_CAPTCHA=false); or send it in the X-Captcha-Token header."),
      locale: localeSchema,
    }),
    answers: {
      202: {
        description:
          'The call is placed; the same answer for a new and a known number. In verify mode no user exists yet: userId is the one the number ' +
          "will sign in as, and expire Twilio Verify's default code lifetime (10 minutes).",
        schema: pendingAnswerSchema,
      },
    },
    errors: [
      'phone_invalid',
      'phone_type_refused',
      'phone_country_refused',
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
    ],
  },
  verify: {
    method: 'post',
    path: '/verify',
    summary: 'PHONE_CALL_MODE=verify: check the code Twilio Verify read out; only then find or create the user and answer a token.',
    description:
      'Limits per IP and per number are counted before Twilio checks the code. Twilio allows 5 tries per call; after them, or once the code ' +
      'expired or was used, the answer is code_expired: start again. On success exchange the answer at once with account.createSession({ userId, secret }).',
    body: z.object({
      phone: phoneSchema,
      code: z.string().regex(/^[0-9]{4,10}$/, 'must be the 4 to 10 digits read out').describe('The digits the call read out.'),
    }),
    answers: { 200: { description: 'The code is right: a token for the user holding the number.', schema: tokenAnswerSchema } },
    errors: [
      'phone_invalid',
      'phone_type_refused',
      'phone_country_refused',
      'code_invalid',
      'code_expired',
      'mode_disabled',
      'rate_limited',
      'rate_limiter_unavailable',
      'user_blocked',
      'account_conflict',
      'delivery_unavailable',
      'appwrite_error',
      'appwrite_unavailable',
    ],
  },
  status: {
    method: 'post',
    path: '/status',
    summary: "Twilio's call status callback (TWILIO_STATUS_CALLBACK_URL): logs calls that did not connect.",
    description:
      'Twilio posts each call\'s final status here, signed with X-Twilio-Signature (HMAC-SHA1 keyed with the auth token over ' +
      'TWILIO_STATUS_CALLBACK_URL and the sorted parameters). Unsigned or wrongly signed posts are refused. Not for browsers.',
    body: z
      .record(z.string().max(64), z.string().max(2048))
      .refine((fields) => Object.keys(fields).length <= 100, 'at most 100 fields')
      .describe('The form fields Twilio posts: CallSid, CallStatus, CallDuration, ...'),
    bodyType: 'form',
    answers: { 204: { description: 'Recorded in the log.' } },
    errors: ['status_callback_invalid'],
  },
});
