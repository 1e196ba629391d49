/**
 * Where a token's verification key comes from: the issuer's JWKS through jose's
 * `createRemoteJWKSet` (cached per issuer and URL for the process or isolate), or the custom
 * preset's shared HS256 secret. Never from the token: an embedded `jwk`, `jku`, `x5u` or `x5c`
 * header (and any `crit`) is refused before any key is looked up.
 *
 * @module
 */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters, type RemoteJWKSet } from 'jose';
import type { Logger } from '../log.js';
import type { OutboundFetch } from '../ports.js';
import { fetchIssuerText } from './discovery.js';
import { invalidToken, issuerUnavailable, IssuerUnreachable } from './errors.js';

/** What `jwtVerify` calls to get the key for a token's header. */
export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>;

/** Headers that carry or point at a key. jose ignores them; the kit refuses tokens that use them. */
const keyCarryingHeaders = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** Longer `kid`s are no issuer's: refused before any lookup (and before any refetch they could cause). */
const MAX_KID_CHARS = 256;

/**
 * Refuses a header that tries to choose its own key, whose `kid` is not a short string, or that
 * declares critical extensions. A `kid` is only ever string-compared with the JWKS's (jose,
 * local.ts), never used as a path or query. jose refuses a `crit` naming an extension it does not
 * know before any key is looked up; this also refuses one it knows (`b64`), which no OIDC issuer sends.
 *
 * @example
 * ```ts
 * refuseUntrustedHeader({ alg: 'RS256', jku: 'https://attacker.example/jwks.json' }); // throws invalid_token
 * ```
 */
export function refuseUntrustedHeader(header: JWSHeaderParameters): void {
  if (Object.hasOwn(header, 'crit')) throw invalidToken('The token uses a feature this service does not accept.');
  for (const name of keyCarryingHeaders) {
    if (Object.hasOwn(header, name)) throw invalidToken('The token names its own key; keys come only from the issuer.');
  }
  if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > MAX_KID_CHARS)) {
    throw invalidToken("The token's key ID is malformed.");
  }
}

/** The custom preset's shared secret, for HS256 tokens only (the allowlist is HS256 alone). */
export function secretKey(secret: Uint8Array): KeyResolver {
  return async (header) => {
    refuseUntrustedHeader(header);
    return secret;
  };
}

/** The JWKS errors that mean the issuer (not the token) is at fault. */
const issuerFaultCodes: ReadonlySet<string> = new Set([
  errors.JOSEError.code, // jose: non-200 or a body that is not JSON
  errors.JWKSInvalid.code, // a document that is not a key set
  errors.JWKSTimeout.code,
]);

/**
 * Whether an error from key resolution means the issuer's JWKS could not be had.
 *
 * @example
 * ```ts
 * isIssuerFault(new errors.JWKSTimeout()); // true
 * isIssuerFault(new errors.JWKSNoMatchingKey()); // false: the token's kid is unknown
 * ```
 */
export function isIssuerFault(error: unknown): boolean {
  if (error instanceof IssuerUnreachable) return true;
  return error instanceof errors.JOSEError && issuerFaultCodes.has(error.code);
}

interface RemoteKeys {
  remote: RemoteJWKSet;
  /** The fetch of the newest runtime that asked for this set (Appwrite builds one per execution). */
  fetch: OutboundFetch;
  /** When a fetch last failed (ms, `Date.now`, jose's timeline): the cached keys serve until the cooldown ends. */
  failedAt?: number;
}

// Module level, per issuer, URL and cooldown: keys fetched by one request serve the next ones in the
// same process or isolate, which is what keeps the issuer out of every request.
const remoteKeySets = new Map<string, RemoteKeys>();

/** What a JWKS resolver needs. */
export interface JwksOptions {
  issuer: string;
  url: string;
  cooldownMs: number;
  fetch: OutboundFetch;
  logger: Logger;
}

function remoteKeysFor(options: JwksOptions): RemoteKeys {
  const cacheKey = `${options.issuer}\n${options.url}\n${options.cooldownMs}`;
  let entry = remoteKeySets.get(cacheKey);
  if (entry) {
    entry.fetch = options.fetch;
    return entry;
  }
  const created: RemoteKeys = {
    fetch: options.fetch,
    remote: createRemoteJWKSet(new URL(options.url), {
      cooldownDuration: options.cooldownMs,
      // Every failure becomes IssuerUnreachable here, so it is never mistaken for the token's fault.
      [customFetch]: async (url, init) => {
        const text = await fetchIssuerText(created.fetch, url, { headers: init.headers, signal: init.signal });
        // jose reads only the status (200 by default) and the JSON body.
        return new Response(text);
      },
    }),
  };
  entry = created;
  remoteKeySets.set(cacheKey, entry);
  return entry;
}

/**
 * Keys from the issuer's JWKS. A known `kid` is served from the cache (jose refreshes it after 10
 * minutes); an unknown one refetches at most once per cooldown, then fails `invalid_token`. When the
 * JWKS cannot be fetched, the keys fetched before keep verifying, and the JWKS is not asked again
 * until the cooldown has passed; with no cached key that fits, the answer is `issuer_unavailable`.
 *
 * @example
 * ```ts
 * const key = jwksKeys({ issuer, url: 'https://tenant.auth0.com/.well-known/jwks.json', cooldownMs: 30_000, fetch, logger });
 * await jwtVerify(token, key, { algorithms: ['RS256'], issuer });
 * ```
 */
export function jwksKeys(options: JwksOptions | (() => Promise<JwksOptions>)): KeyResolver {
  return async (header, token) => {
    refuseUntrustedHeader(header);
    const resolved = typeof options === 'function' ? await options() : options;
    const entry = remoteKeysFor(resolved);
    // Never failed reads as failed long ago: one comparison, so a retry happens exactly when the cooldown ends.
    if (Date.now() - (entry.failedAt ?? -Infinity) < resolved.cooldownMs) return cachedKey(entry, header, token);
    try {
      return await entry.remote(header, token);
    } catch (error) {
      if (!isIssuerFault(error)) throw error;
      entry.failedAt = Date.now();
      resolved.logger.error('oidc_jwks_unreachable', { reason: error instanceof IssuerUnreachable ? error.message : (error as errors.JOSEError).code });
      return cachedKey(entry, header, token);
    }
  };
}

/** The key from the last JWKS fetched, while the issuer cannot be reached. */
async function cachedKey(entry: RemoteKeys, header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
  const jwks = entry.remote.jwks();
  if (jwks === undefined) throw issuerUnavailable();
  try {
    return await createLocalJWKSet(jwks)(header, token);
  } catch (error) {
    // Perhaps a key the issuer added since: the kit cannot tell until it can fetch again.
    if (error instanceof errors.JWKSNoMatchingKey) throw issuerUnavailable();
    throw error;
  }
}
