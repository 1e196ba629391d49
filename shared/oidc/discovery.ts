/**
 * What the kit fetches from an issuer: its discovery document (OpenID Connect Discovery 1.0) and,
 * through jose, its JWKS. Both through the kit's outbound fetch, and both cached for the process or
 * isolate, since every request would otherwise pay a round trip to the issuer.
 *
 * @module
 */
import * as z from 'zod';
import type { Logger } from '../log.js';
import type { OutboundFetch } from '../ports.js';
import { wellKnownUrl } from './config.js';
import { issuerUnavailable, IssuerUnreachable } from './errors.js';

/** A discovery document or JWKS is a few KiB; anything far larger is not one. */
const MAX_DOCUMENT_CHARS = 256 * 1024;

/**
 * The body of a 200 answer from the issuer, as text. Every failure (network, timeout, redirect,
 * another status, an oversized body) is an {@link IssuerUnreachable}, never a token's fault.
 *
 * @example
 * ```ts
 * const text = await fetchIssuerText(fetch, 'https://tenant.auth0.com/.well-known/jwks.json');
 * ```
 */
export async function fetchIssuerText(fetch: OutboundFetch, url: string, init: RequestInit = {}): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, method: 'GET', headers: init.headers ?? { accept: 'application/json' } });
  } catch (error) {
    throw new IssuerUnreachable(error instanceof Error ? error.name : 'fetch failed');
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IssuerUnreachable(`status ${response.status}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new IssuerUnreachable(error instanceof Error ? error.name : 'body unreadable');
  }
  if (text.length > MAX_DOCUMENT_CHARS) throw new IssuerUnreachable('document too large');
  return text;
}

const endpoint = z.string().refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
}, 'must be an https URL');

/** The part of a discovery document the kit uses. */
const metadataSchema = z.object({
  issuer: z.string(),
  authorization_endpoint: endpoint,
  token_endpoint: endpoint,
  jwks_uri: endpoint,
  end_session_endpoint: endpoint.optional(),
});

/**
 * An issuer's discovery metadata, as far as the kit uses it.
 *
 * @example
 * ```ts
 * const { authorization_endpoint } = await verifier.metadata();
 * ```
 */
export type OidcMetadata = z.output<typeof metadataSchema>;

interface DiscoveryEntry {
  metadata?: OidcMetadata;
  /** When the last attempt failed (ms, `Date.now`): no new attempt within the cooldown. */
  failedAt?: number;
}

// Per issuer, for the whole process or isolate: fetched once, then shared by every request. Only
// the result is shared, never a pending fetch: workerd fails a request that awaits a promise another
// request's I/O settles (jose's JWKS fetch makes the same exception), so requests arriving together
// on a cold isolate each fetch once. A failure is remembered for the cooldown, so an unreachable
// issuer is not asked again by every request.
const discoveries = new Map<string, DiscoveryEntry>();

/**
 * The issuer's discovery document, fetched once per process or isolate and then cached. Its
 * `issuer` must equal the configured one exactly (OIDC Discovery §4.3): a document that names
 * another issuer would hand the kit someone else's keys. Throws `issuer_unavailable` when it cannot
 * be fetched or is not a valid document; after a failure, again for `cooldownMs` without fetching.
 *
 * @example
 * ```ts
 * const metadata = await discoverIssuer({ issuer: 'https://tenant.auth0.com/', fetch, cooldownMs: 30_000, logger });
 * ```
 */
export async function discoverIssuer(options: { issuer: string; fetch: OutboundFetch; cooldownMs: number; logger: Logger }): Promise<OidcMetadata> {
  const { issuer, fetch, cooldownMs, logger } = options;
  const entry = discoveries.get(issuer) ?? {};
  discoveries.set(issuer, entry);
  if (entry.metadata) return entry.metadata;
  // jose times its JWKS cooldown with Date.now; this cooldown runs on the same timeline. Never
  // failed counts as failed long ago.
  if (Date.now() - (entry.failedAt ?? -Infinity) < cooldownMs) throw issuerUnavailable();
  try {
    entry.metadata = await fetchMetadata(fetch, issuer);
    return entry.metadata;
  } catch (error) {
    entry.failedAt = Date.now();
    logger.error('oidc_discovery_failed', { reason: error instanceof IssuerUnreachable ? error.message : 'unexpected' });
    throw issuerUnavailable();
  }
}

async function fetchMetadata(fetch: OutboundFetch, issuer: string): Promise<OidcMetadata> {
  const text = await fetchIssuerText(fetch, wellKnownUrl(issuer, 'openid-configuration'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IssuerUnreachable('not JSON');
  }
  const parsed = metadataSchema.safeParse(json);
  if (!parsed.success) throw new IssuerUnreachable('not a discovery document');
  if (parsed.data.issuer !== issuer) throw new IssuerUnreachable('the document names another issuer');
  return parsed.data;
}
