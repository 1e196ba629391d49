/**
 * The two answers a refused verification gets: 401 `invalid_token` (the token's fault) and 503
 * `issuer_unavailable` (the kit cannot get the issuer's keys).
 *
 * @module
 */
import { KitError } from '../errors.js';

/**
 * A 401 whose message says which check failed, in words safe to show: it repeats nothing from the
 * token and names no configuration.
 *
 * @example
 * ```ts
 * throw invalidToken('The token has expired.');
 * ```
 */
export function invalidToken(reason: string): KitError {
  return new KitError('invalid_token', reason);
}

/**
 * The 503 when the issuer's keys (JWKS) or discovery document cannot be fetched and no cached key fits.
 *
 * @example
 * ```ts
 * throw issuerUnavailable();
 * ```
 */
export function issuerUnavailable(): KitError {
  return new KitError('issuer_unavailable', 'The token issuer cannot be reached to check the token. Try again later.');
}

/**
 * A fetch to the issuer that failed (network, timeout, redirect, non-200, oversized): thrown by the
 * kit's fetch wrapper so it can be told from a token's fault, whatever jose wraps around it.
 */
export class IssuerUnreachable extends Error {
  override readonly name = 'IssuerUnreachable';
}
