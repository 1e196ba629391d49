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
  /** Verify mode: not the code Twilio read out for this number. Twilio counts the tries (5 per call). */
  code_invalid: { status: 401, message: 'This code is not right. Check it and try again.' },
  /** Verify mode: the code expired, was used, or was guessed wrong too often: ask for a new call. */
  code_expired: { status: 410, message: 'This code can no longer be used. Ask for a new call.' },
  /** `/verify` while `PHONE_CALL_MODE` is `voice`: the code is checked by Appwrite there. */
  mode_disabled: { status: 404, message: 'Codes are checked by account.createSession in this mode, not here.' },
});
