/**
 * The phone-call function's own error types. The kit-wide ones (`captcha_invalid`, `rate_limited`,
 * `delivery_unavailable`, ...) are in `shared/errors.ts`.
 *
 * @module
 */
import { defineErrors } from '../../shared/errors.js';

/**
 * @example
 * ```ts
 * throw phoneCallErrors.create('phone_invalid');
 * ```
 */
export const phoneCallErrors = defineErrors({
  /** Not a number that exists in its country's numbering plan (libphonenumber's full metadata). */
  phone_invalid: { status: 400, message: 'This is not a valid phone number. Use E.164: "+", the country code and the number.' },
  /** Premium-rate, shared-cost and other numbers that are not one person's phone: where toll fraud sends calls. */
  phone_type_refused: { status: 422, message: 'This kind of number cannot be called. Use a mobile or landline number.' },
  /** A country outside `PHONE_CALL_COUNTRIES`. */
  phone_country_refused: { status: 422, message: 'Numbers in this country cannot be called.' },
  /** A `/status` post without Twilio's valid `X-Twilio-Signature`, or while callbacks are not configured. */
  status_callback_invalid: { status: 403, message: 'This callback is not signed by Twilio for this URL.' },
});
