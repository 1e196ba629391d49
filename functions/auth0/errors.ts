/**
 * The auth0 function's own error types. The kit-wide ones (`invalid_token`, `issuer_unavailable`,
 * `user_blocked`, `rate_limited`, ...) are in `shared/errors.ts`.
 *
 * The redirect flow's failures after its cookie is read reach the app as `failure?error=<type>`;
 * the others are JSON answers like every kit error.
 *
 * @module
 */
import { defineErrors } from '../../shared/errors.js';

/**
 * @example
 * ```ts
 * throw auth0Errors.create('redirect_not_allowed');
 * ```
 */
export const auth0Errors = defineErrors({
  /** `/login` or `/callback` while `AUTH0_CALLBACK_URL` is unset: a 403 with a type that says which switch is off. */
  redirect_flow_disabled: { status: 403, message: 'The redirect sign-in flow is not enabled.' },
  /** A `success` or `failure` URL outside `AUTH0_REDIRECT_ORIGINS`: refused, never redirected to. */
  redirect_not_allowed: { status: 400, message: 'The success and failure URLs must be on an allowed origin.' },
  /** `/callback` without a readable flow cookie (missing, tampered, from another deployment), with a wrong `state`, or a second time. */
  flow_invalid: { status: 400, message: 'This sign-in could not be completed. Start it again.' },
  /** `/callback` after the flow's 10 minutes. */
  flow_expired: { status: 400, message: 'This sign-in took too long. Start it again.' },
  /** The issuer sent the browser back with an error (the user cancelled or was refused). */
  authorization_denied: { status: 403, message: 'The sign-in was cancelled or refused at the identity provider.' },
  /** The token endpoint refused the authorization code (used, expired, PKCE mismatch, wrong client secret). */
  authorization_failed: { status: 400, message: 'The identity provider refused to complete the sign-in. Start it again.' },
  /** `/exchange` with `AUTH0_ONE_TIME_TOKENS=true` and a token whose `jti` was accepted before. */
  token_replayed: { status: 401, message: 'This token was already used.' },
  /** A back-channel logout token that is invalid, lacks `sub`, or was sent before (OIDC Back-Channel Logout §2.8: 400). */
  logout_token_invalid: { status: 400, message: 'The logout token is not valid.' },
});
