/**
 * The captcha function's own error types. The kit-wide ones (`captcha_invalid`, `rate_limited`,
 * `delivery_unavailable`, ...) are in `shared/errors.ts`.
 *
 * @module
 */
import { defineErrors } from '../../shared/errors.js';

/**
 * @example
 * ```ts
 * throw captchaErrors.create('guest_disabled');
 * ```
 */
export const captchaErrors = defineErrors({
  /**
   * `/guest` while `CAPTCHA_GUEST_ENABLED` is false. A 403 of its own rather than a 404: the route
   * is documented either way, and the type tells a developer which variable to set.
   */
  guest_disabled: { status: 403, message: 'Guest sign-in is not enabled.' },
});
