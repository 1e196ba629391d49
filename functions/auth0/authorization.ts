/**
 * The two legs of the authorization-code flow with PKCE (RFC 7636, S256) that talk to the issuer:
 * the authorization request the browser is sent to, and the server-side code exchange at the
 * token endpoint with the client secret. What happens in between lives in the flow cookie.
 *
 * @module
 */
import { base64url } from 'jose';
import * as z from 'zod';
import { KitError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { OutboundFetch } from '../../shared/ports.js';
import type { RedirectFlowConfig } from './config.js';
import { auth0Errors } from './errors.js';

/** What the issuer is asked for: an ID token with the profile and email claims. */
const SCOPE = 'openid profile email';

/** A token endpoint's answer is a few KiB; anything far larger is not one. */
const MAX_TOKEN_RESPONSE_CHARS = 64 * 1024;

/** 32 random bytes, base64url: 256 bits, as RFC 7636 recommends for the verifier. */
function randomToken(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)). */
async function challengeOf(verifier: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** A started authorization: where to send the browser, and what `/callback` must check. */
export interface StartedAuthorization {
  url: string;
  state: string;
  nonce: string;
  verifier: string;
}

/**
 * The authorization request: `response_type=code`, the client, the callback, the scope, a fresh
 * `state` and `nonce`, the PKCE S256 challenge, and the API `audience` when one is configured
 * (Auth0 then issues an access token for it alongside the ID token).
 *
 * @example
 * ```ts
 * const { url, state, nonce, verifier } = await startAuthorization((await oidc.metadata()).authorization_endpoint, flow);
 * return c.redirect(url, 302);
 * ```
 */
export async function startAuthorization(authorizationEndpoint: string, flow: RedirectFlowConfig): Promise<StartedAuthorization> {
  const state = randomToken();
  const nonce = randomToken();
  const verifier = randomToken();
  const url = new URL(authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: flow.clientId,
    redirect_uri: flow.callbackUrl,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
    ...(flow.audience ? { audience: flow.audience } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { url: url.href, state, nonce, verifier };
}

const tokenResponseSchema = z.object({ id_token: z.string().min(1) });
const oauthErrorSchema = z.object({ error: z.string().regex(/^[\x20-\x7e]{1,64}$/) });

/**
 * Exchanges an authorization code for the ID token at the token endpoint (`client_secret_post`,
 * Auth0's default for regular web applications), with the PKCE verifier and the same
 * `redirect_uri`. A 4xx with an OAuth error (the code used or expired, the verifier wrong, the
 * client secret refused) is 400 `authorization_failed`; an unreachable or failing endpoint, or an
 * answer without an ID token, 503 `issuer_unavailable`. Logs the OAuth error code, never a token.
 *
 * @example
 * ```ts
 * const idToken = await redeemCode({ fetch, logger, tokenEndpoint, flow, code, verifier });
 * const claims = await oidc.verify(idToken, 'id', { nonce });
 * ```
 */
export async function redeemCode(options: {
  fetch: OutboundFetch;
  logger: Logger;
  tokenEndpoint: string;
  flow: RedirectFlowConfig;
  code: string;
  verifier: string;
}): Promise<string> {
  const { fetch, logger, tokenEndpoint, flow } = options;
  const unavailable = (reason: string, status?: number) => {
    logger.error('token_endpoint_failed', { reason, status });
    return new KitError('issuer_unavailable', 'The identity provider cannot be reached to complete the sign-in. Try again later.');
  };
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: flow.clientId,
    client_secret: flow.clientSecret,
    code: options.code,
    code_verifier: options.verifier,
    redirect_uri: flow.callbackUrl,
  });
  let response: Response;
  let text: string;
  try {
    response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
    });
    text = await response.text();
  } catch (error) {
    throw unavailable(error instanceof Error ? error.name : 'unreachable');
  }
  if (text.length > MAX_TOKEN_RESPONSE_CHARS) throw unavailable('response_too_large', response.status);
  const json = parseJson(text);
  if (response.status >= 400 && response.status < 500) {
    const oauthError = oauthErrorSchema.safeParse(json);
    logger.warn('token_endpoint_refused', { status: response.status, error: oauthError.success ? oauthError.data.error : 'unknown' });
    throw auth0Errors.create('authorization_failed');
  }
  if (response.status !== 200) throw unavailable('status', response.status);
  const tokens = tokenResponseSchema.safeParse(json);
  if (!tokens.success) throw unavailable('no_id_token', response.status);
  return tokens.data.id_token;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
