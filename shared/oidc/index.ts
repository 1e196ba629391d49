/**
 * Verifies tokens from Auth0 or any OpenID Connect issuer (access, ID and back-channel logout
 * tokens), or from your own backend (a JWKS URL or an HS256 shared secret), with jose: a pinned
 * issuer, an audience per kind, an algorithm allowlist, required `exp` and `iat`, a maximum age,
 * machine-to-machine tokens refused, keys only from the issuer and cached across requests.
 *
 * A refused token is a 401 `invalid_token` whose message says which check failed; an issuer whose
 * keys cannot be fetched (with none cached) is a 503 `issuer_unavailable`.
 *
 * @example
 * ```ts
 * ports: { oidc: oidcPort }
 * const claims = await oidc.verify(bearerToken, oidc.exchangeKind); // { iss, sub, ... }
 * ```
 *
 * @module
 */
export { oidcAlgorithms, oidcConfigSchema, resolveOidcConfig, type OidcAlgorithm, type OidcConfig } from './config.js';
export type { OidcMetadata } from './discovery.js';
export { oidcPort } from './port.js';
export { createOidcVerifier, MAX_TOKEN_CHARS, type OidcClaims, type OidcTokenKind, type OidcVerifier } from './verifier.js';
