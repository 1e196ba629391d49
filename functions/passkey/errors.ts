/**
 * The passkey function's own error types. The kit-wide ones (`rate_limited`, `user_blocked`, ...)
 * are in `shared/errors.ts`.
 *
 * @module
 */
import { defineErrors } from '../../shared/errors.js';

/**
 * @example
 * ```ts
 * throw passkeyErrors.create('passkey_invalid');
 * ```
 */
export const passkeyErrors = defineErrors({
  /**
   * The one answer for a passkey that does not verify: unknown credential, bad signature, wrong
   * origin or RP ID, user not verified, signature counter gone backwards. The log says which.
   */
  passkey_invalid: { status: 401, message: 'The passkey could not be verified.' },
  /** The challenge is past its lifetime: ask for new options. */
  challenge_expired: { status: 400, message: 'The challenge has expired. Start again.' },
  /** The challenge was not issued by this function for this step, or was already used. */
  challenge_invalid: { status: 400, message: 'The challenge is not valid. Start again.' },
  username_taken: { status: 409, message: 'This username is taken.' },
  /** The Appwrite JWT is missing its session, expired, or not Appwrite's. */
  session_invalid: { status: 401, message: 'Sign in again: the session token was not accepted.' },
  /** No passkey with this ID belongs to the signed-in user. */
  passkey_not_found: { status: 404, message: 'No such passkey.' },
  /** The user holds `PASSKEY_MAX_PER_USER` passkeys already. */
  passkey_limit_reached: { status: 409, message: 'This account has the most passkeys allowed. Delete one first.' },
});
