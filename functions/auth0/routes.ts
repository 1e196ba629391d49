/**
 * The auth0 function's routes as data: what each accepts, answers and fails with. `app.ts` serves
 * them; the OpenAPI document describes them.
 *
 * @module
 */
import * as z from 'zod';
import { MAX_TOKEN_CHARS } from '../../shared/oidc/index.js';
import { defineRoutes } from '../../shared/routes.js';
import { tokenAnswerSchema } from '../../shared/sign-in/delivery.js';
import { MAX_REDIRECT_URL_CHARS } from './redirects.js';

/** What resolving and signing in a verified user can fail with. */
const signInErrors = ['user_blocked', 'rate_limited', 'rate_limiter_unavailable', 'appwrite_error', 'appwrite_unavailable'] as const;

/**
 * The types `/callback` may send to the failure URL as `?error=`.
 *
 * @example
 * ```ts
 * callbackFailureTypes.includes('flow_expired'); // true
 * ```
 */
export const callbackFailureTypes = [
  'flow_expired',
  'flow_invalid',
  'authorization_denied',
  'authorization_failed',
  'invalid_request',
  'invalid_token',
  'issuer_unavailable',
  'once_store_unavailable',
  ...signInErrors,
  'config_invalid',
  'internal_error',
] as const;

const redirectUrl = (what: string) =>
  z.string().max(MAX_REDIRECT_URL_CHARS).describe(`${what} Must be on an origin listed in AUTH0_REDIRECT_ORIGINS, https (http only for localhost), without #fragment.`);

/**
 * @example
 * ```ts
 * serveRoutes(app, auth0Routes, { exchange, login, callback, backchannelLogout });
 * ```
 */
export const auth0Routes = defineRoutes({
  exchange: {
    method: 'post',
    path: '/exchange',
    summary: 'Exchange a verified Auth0 (or OIDC) token for an Appwrite token secret.',
    description:
      'Send the token as Authorization: Bearer <token>, or as the JSON field token; both at once is 400 invalid_request. ' +
      'The token is an access token for AUTH0_AUDIENCE (default) or an ID token (AUTH0_TOKEN_TYPE=id). The user is found or created ' +
      'by (iss, sub) alone, never by email; its labels and prefs follow the configured claims on every exchange.',
    body: z.object({ token: z.string().min(1).max(MAX_TOKEN_CHARS).optional().describe('The token, if not sent in the Authorization header.') }),
    bodyOptional: true,
    answers: { 200: { description: 'Exchange at once with account.createSession({ userId, secret }).', schema: tokenAnswerSchema } },
    errors: ['invalid_request', 'invalid_token', 'token_replayed', 'issuer_unavailable', 'once_store_unavailable', ...signInErrors],
  },
  login: {
    method: 'get',
    path: '/login',
    summary: 'Start the redirect flow: send the browser to the issuer to sign in (authorization code with PKCE).',
    description:
      'Open it in the browser (a link or window.location), not with fetch. Sets a short-lived encrypted cookie, then redirects to the ' +
      "issuer's authorization endpoint. success and failure not on an allowed origin are refused here with 400, never redirected to.",
    query: z.object({
      success: redirectUrl('Where the browser lands signed in, with ?userId=…&secret=… (exchange them with account.createSession).'),
      failure: redirectUrl('Where the browser lands when the sign-in fails, with ?error=<type>.'),
    }),
    answers: { 302: { description: "To the issuer's authorization endpoint." } },
    errors: ['redirect_flow_disabled', 'redirect_not_allowed', 'rate_limited', 'rate_limiter_unavailable', 'issuer_unavailable'],
  },
  callback: {
    method: 'get',
    path: '/callback',
    summary: "The issuer's redirect back (AUTH0_CALLBACK_URL): completes the sign-in and redirects to success or failure.",
    description:
      'With a valid flow cookie the answer is always a 302: to success?userId=…&secret=… (the contract of Appwrite\'s createOAuth2Token), ' +
      `or to failure?error=<type>, one of: ${callbackFailureTypes.join(', ')}. Without one (missing, tampered) it is 400 flow_invalid.`,
    query: z.object({
      code: z.string().max(2048).optional(),
      state: z.string().max(512).optional(),
      error: z.string().max(256).optional(),
      error_description: z.string().max(1024).optional(),
    }),
    answers: { 302: { description: 'To the success or the failure URL given to /login.' } },
    errors: ['redirect_flow_disabled', 'flow_invalid'],
  },
  backchannelLogout: {
    method: 'post',
    path: '/backchannel-logout',
    summary: "OIDC Back-Channel Logout: the issuer ends a user's sessions; every Appwrite session of that user is deleted.",
    description:
      'The issuer posts logout_token (a form field). It must carry sub (a token with only sid is refused) and a jti, which is ' +
      'accepted once. Errors are 400 as the spec asks, in the kit\'s { message, code, type } shape; an unreachable issuer or ' +
      'Appwrite is a 503 the issuer may retry.',
    body: z.object({ logout_token: z.string().min(1).max(MAX_TOKEN_CHARS).describe('The logout token (a JWT) the issuer signed.') }),
    bodyType: 'form',
    answers: { 200: { description: 'The sessions are deleted (or there were none).' } },
    errors: ['logout_token_invalid', 'issuer_unavailable', 'once_store_unavailable', 'rate_limited', 'rate_limiter_unavailable', 'appwrite_error', 'appwrite_unavailable'],
  },
});
