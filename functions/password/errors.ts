/**
 * The password function's own error types. The kit-wide ones (`rate_limited`, `invalid_request`,
 * ...) are in `shared/errors.ts`.
 *
 * @module
 */
import { defineErrors } from '../../shared/errors.js';

/**
 * @example
 * ```ts
 * throw passwordErrors.create('username_taken');
 * ```
 */
export const passwordErrors = defineErrors({
  /** The one answer for every failed login, so no response tells an unknown user from a wrong password. */
  invalid_credentials: { status: 401, message: 'Invalid username or password.' },
  /** Appwrite refused the password (its length or the project's password policies). */
  password_rejected: { status: 400, message: 'This password is not allowed.' },
  username_taken: { status: 409, message: 'This username is taken.' },
  /** The password did change; only ending the other sessions failed. */
  sessions_not_revoked: {
    status: 503,
    message: 'The password was changed, but other sessions could not be signed out. Change it again with the new password to retry.',
  },
});
