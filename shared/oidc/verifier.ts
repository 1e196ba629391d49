/**
 * Verifies OpenID Connect tokens (access, ID and back-channel logout tokens) with jose, and says in
 * safe words why a token was refused.
 *
 * The checks, in order: a bounded compact JWS; `alg` on the allowlist and no unknown `crit`
 * (jose, before any key is looked up); no self-chosen key (`jwk`/`jku`/`x5u`/`x5c`) and a short
 * `kid`; the signature with the issuer's key; `iss` exactly; `aud` for the kind; `exp` and `iat`
 * present, `exp`/`nbf` with the clock tolerance, `iat` neither in the future nor older than the
 * maximum age; then the kind's own rules (`typ`, `azp`, `nonce`, machine-to-machine tokens, the
 * logout event).
 *
 * @module
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyResult, type ProtectedHeaderParameters } from 'jose';
import * as z from 'zod';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config.js';
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OutboundFetch } from '../ports.js';
import { isWellFormedText } from '../validation.js';
import type { OidcConfig } from './config.js';
import { discoverIssuer, type OidcMetadata } from './discovery.js';
import { invalidToken } from './errors.js';
import { jwksKeys, secretKey, type KeyResolver } from './keys.js';

/** Which token a caller expects: each has its own audience and rules. */
export type OidcTokenKind = 'access' | 'id' | 'logout';

/** A verified token's claims: at least an issuer and a subject, both strings. */
export interface OidcClaims extends JWTPayload {
  iss: string;
  sub: string;
}

/**
 * Verifies tokens from the one configured issuer.
 *
 * @example
 * ```ts
 * ports: { oidc: oidcPort }
 * const claims = await oidc.verify(bearerToken, oidc.exchangeKind);
 * const idClaims = await oidc.verify(idToken, 'id', { nonce: cookie.nonce });
 * ```
 */
export interface OidcVerifier {
  /** Exactly as configured (Auth0: `https://DOMAIN/` with the trailing slash). */
  readonly issuer: string;
  /** Which kind `/exchange` accepts: `AUTH0_TOKEN_TYPE` (`access` by default). */
  readonly exchangeKind: 'access' | 'id';
  /**
   * Verifies a compact JWS of the given kind. Throws KitError 'invalid_token' (401, message = a
   * safe reason such as "The token has expired.") or 'issuer_unavailable' (503: JWKS/discovery
   * unreachable and no cached key). Asking for a kind whose audience is not configured is a
   * ConfigError (500 config_invalid): the deployment, not the token, is at fault.
   */
  verify(token: string, kind: OidcTokenKind, options?: { nonce?: string }): Promise<OidcClaims>;
  /**
   * The issuer's discovery metadata (authorization_endpoint, token_endpoint, jwks_uri,
   * end_session_endpoint?), fetched once and cached; issuer_unavailable on failure.
   */
  metadata(): Promise<OidcMetadata>;
}

/** Tokens longer than this are refused unread. Auth0's are 1–3 KiB, even with custom claims. */
export const MAX_TOKEN_CHARS = 16 * 1024;

/** OpenID Connect Core §2: `sub` is at most 255 ASCII characters. */
const MAX_SUBJECT_CHARS = 255;

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** `typ` values each kind accepts, compared as media types (case-insensitive, `application/` optional). */
const acceptedTypes: Record<OidcTokenKind, readonly string[]> = {
  // Auth0's default profile says JWT; its RFC 9068 profile says at+jwt.
  access: ['jwt', 'at+jwt'],
  id: ['jwt'],
  logout: ['jwt', 'logout+jwt'],
};

function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** What the verifier is built from. */
export interface OidcVerifierOptions {
  config: OidcConfig;
  /** The kit's outbound fetch, for the JWKS and discovery. */
  fetch: OutboundFetch;
  clock: Clock;
  logger: Logger;
}

/** A refusal: the code for the log and the message for the client. */
interface Refusal {
  code: string;
  message: string;
}

/** Why jose refused, in words a client may see. */
function reasonFor(error: unknown): Refusal {
  if (error instanceof errors.JWTExpired) {
    return error.claim === 'iat'
      ? { code: 'too_old', message: 'The token is too old: it was issued longer ago than this service accepts.' }
      : { code: 'expired', message: 'The token has expired.' };
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (error.reason === 'missing') return { code: `missing_${claim}`, message: `The token has no "${claim}" claim.` };
    if (error.reason === 'invalid') return { code: `invalid_${claim}`, message: `The token's "${claim}" claim is malformed.` };
    switch (claim) {
      case 'iss':
        return { code: 'wrong_issuer', message: 'The token is from another issuer.' };
      case 'aud':
        return { code: 'wrong_audience', message: 'The token is meant for another audience.' };
      case 'nbf':
        return { code: 'not_yet_valid', message: 'The token is not valid yet.' };
      case 'iat':
        return { code: 'issued_in_future', message: 'The token was issued in the future.' };
    }
    // With the options verify passes (no typ, subject or other claim to compare), jose checks no
    // other claim: were one added, its refusal falls through to "malformed" below.
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return { code: 'alg_not_allowed', message: "The token's signing algorithm is not accepted." };
  if (error instanceof errors.JWSSignatureVerificationFailed) return { code: 'bad_signature', message: "The token's signature is invalid." };
  if (error instanceof errors.JWKSNoMatchingKey) return { code: 'unknown_key', message: "The token's signing key is not one of the issuer's." };
  if (error instanceof errors.JWKSMultipleMatchingKeys) return { code: 'ambiguous_key', message: "The token's signing key is ambiguous." };
  if (error instanceof errors.JOSENotSupported) return { code: 'not_supported', message: 'The token uses a feature this service does not accept.' };
  if (error instanceof errors.JOSEError) return { code: 'malformed', message: 'The token is malformed.' };
  // Not jose's verdict on the token: e.g. a key in the issuer's JWKS that jose will not use (RSA under 2048 bits).
  return { code: `unexpected_${error instanceof Error ? error.name : typeof error}`, message: 'The token could not be verified.' };
}

/** The `kid` and `alg` of a token, shortened, for the log: never the token itself (nor anything for a token that is no string). */
function headerForLog(token: string): { kid?: string; alg?: string } {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return {};
  }
  const { kid, alg } = header;
  return { kid: typeof kid === 'string' ? kid.slice(0, 64) : undefined, alg: typeof alg === 'string' ? alg.slice(0, 16) : undefined };
}

/** Back-Channel Logout §2.4: `events` is an object whose member for the logout event is an object (arrays are not). */
const logoutEventsSchema = z.object({ [BACKCHANNEL_LOGOUT_EVENT]: z.object({}) });

function hasLogoutEvent(payload: JWTPayload): boolean {
  return logoutEventsSchema.safeParse(payload.events).success;
}

function isMachineToMachine(sub: string, gty: unknown): boolean {
  const grants = Array.isArray(gty) ? gty : [gty];
  return sub.endsWith('@clients') || grants.includes('client-credentials');
}

/** The first rule jose does not know that the token breaks (per kind, after the signature and registered claims passed). */
function brokenKindRule(result: JWTVerifyResult, kind: OidcTokenKind, clientId: string | undefined, nonce: string | undefined): Refusal | undefined {
  const { payload, protectedHeader } = result;

  if (protectedHeader.typ !== undefined && (typeof protectedHeader.typ !== 'string' || !acceptedTypes[kind].includes(mediaType(protectedHeader.typ)))) {
    return { code: 'wrong_typ', message: 'The token is of another type than expected here.' };
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > MAX_SUBJECT_CHARS || !isWellFormedText(payload.sub)) {
    return { code: 'invalid_sub', message: 'The token\'s "sub" claim is malformed.' };
  }

  if (kind === 'logout') {
    if (!hasLogoutEvent(payload)) return { code: 'not_a_logout_token', message: 'The token is not a logout token.' };
    // Back-Channel Logout §2.4: a nonce is forbidden, so a logout token never passes as an ID token where a nonce is checked.
    if (payload.nonce !== undefined) return { code: 'logout_with_nonce', message: 'A logout token must not carry a nonce.' };
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) return { code: 'invalid_jti', message: 'The logout token has no valid "jti" claim.' };
    if (payload.sid !== undefined && typeof payload.sid !== 'string') return { code: 'invalid_sid', message: 'The token\'s "sid" claim is malformed.' };
  } else {
    // A logout token has the client as audience and a subject: it would otherwise pass as an ID token without a nonce.
    if (hasLogoutEvent(payload)) return { code: 'logout_token', message: 'A logout token cannot be used here.' };
    // Same issuer and audience as a user's token: only the subject or grant type tells them apart.
    if (isMachineToMachine(payload.sub, payload.gty)) return { code: 'machine_to_machine', message: 'The token was issued to a machine, not a user.' };
  }

  if (kind === 'id') {
    // OIDC Core §3.1.3.7: with several audiences, azp names the client the token was issued to.
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) return { code: 'missing_azp', message: 'The token has several audiences but no authorized party.' };
    if (payload.azp !== undefined && payload.azp !== clientId) return { code: 'wrong_azp', message: 'The token was issued to another application.' };
  }

  if (nonce !== undefined && payload.nonce !== nonce) return { code: 'wrong_nonce', message: 'The token does not carry the nonce of this sign-in.' };
  return undefined;
}

/**
 * A verifier for the configured issuer.
 *
 * @example
 * ```ts
 * const verifier = createOidcVerifier({ config: resolveOidcConfig(parseConfig(oidcConfigSchema, env)), fetch, clock, logger });
 * const claims = await verifier.verify(token, 'access');
 * ```
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const { config, fetch, clock, logger } = options;
  const cooldownMs = config.jwksCooldownMs;

  const metadata = () => discoverIssuer({ issuer: config.issuer, fetch, cooldownMs, logger });

  let keys: KeyResolver;
  switch (config.keys.kind) {
    case 'secret':
      keys = secretKey(config.keys.secret);
      break;
    case 'jwks':
      keys = jwksKeys({ issuer: config.issuer, url: config.keys.url, cooldownMs, fetch, logger });
      break;
    case 'discovery':
      keys = jwksKeys(async () => ({ issuer: config.issuer, url: (await metadata()).jwks_uri, cooldownMs, fetch, logger }));
      break;
  }

  function audienceOf(kind: OidcTokenKind): string {
    const audience = kind === 'access' ? config.audience : config.clientId;
    // The routes' error handler logs it and answers 500 config_invalid: the deployment is at fault, not the token.
    if (audience === undefined) throw new ConfigError([`${kind === 'access' ? 'AUTH0_AUDIENCE' : 'AUTH0_CLIENT_ID'}: is required to verify ${kind} tokens`]);
    return audience;
  }

  return {
    issuer: config.issuer,
    exchangeKind: config.exchangeKind,
    metadata,
    async verify(token, kind, verifyOptions = {}) {
      const audience = audienceOf(kind);
      const refused = (code: string, error: KitError) => {
        logger.info('oidc_token_refused', { kind, reason: code, ...headerForLog(token) });
        return error;
      };
      if (typeof token !== 'string' || token.length === 0) throw refused('missing', invalidToken('No token was sent.'));
      if (token.length > MAX_TOKEN_CHARS) throw refused('too_long', invalidToken('The token is too long.'));

      let result: JWTVerifyResult;
      try {
        result = await jwtVerify(token, keys, {
          algorithms: config.algorithms,
          issuer: config.issuer,
          audience,
          requiredClaims: kind === 'logout' ? ['exp', 'iat', 'sub', 'jti'] : ['exp', 'iat', 'sub'],
          clockTolerance: config.clockToleranceSeconds,
          maxTokenAge: config.maxTokenAgeSeconds,
          currentDate: new Date(clock.now()),
        });
      } catch (error) {
        if (error instanceof KitError) {
          if (error.type === 'invalid_token') throw refused('refused_header', error);
          throw error;
        }
        const { code, message } = reasonFor(error);
        throw refused(code, invalidToken(message));
      }
      const broken = brokenKindRule(result, kind, config.clientId, verifyOptions.nonce);
      if (broken) throw refused(broken.code, invalidToken(broken.message));
      return result.payload as OidcClaims;
    },
  };
}
