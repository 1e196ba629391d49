/**
 * The OIDC port: reads the `AUTH0_*` variables and builds the verifier over the kit's outbound fetch.
 *
 * @module
 */
import { parseConfig } from '../config.js';
import { definePort, type RuntimeServices } from '../platform.js';
import { fetchPort } from '../ports.js';
import { oidcConfigSchema, resolveOidcConfig } from './config.js';
import { createOidcVerifier, type OidcVerifier } from './verifier.js';

function createVerifier(runtime: RuntimeServices): OidcVerifier {
  const config = resolveOidcConfig(parseConfig(oidcConfigSchema, runtime.env));
  // The JWKS and discovery document are fetched for every request of the process, not for the one
  // that happens to ask first: tying the shared fetch to that request's signal would fail the others
  // waiting on it. The port's own deadline (OUTBOUND_TIMEOUT_MS) still bounds it.
  const fetch = fetchPort.create({ ...runtime, signal: undefined });
  return createOidcVerifier({ config, fetch, clock: runtime.clock, logger: runtime.logger });
}

/**
 * The verifier for the issuer the `AUTH0_*` variables configure. No Appwrite scopes: it only talks
 * to the issuer (JWKS, discovery), through `fetchPort`.
 *
 * @example
 * ```ts
 * ports: { oidc: oidcPort }
 * const claims = await oidc.verify(token, oidc.exchangeKind);
 * ```
 */
export const oidcPort = definePort<OidcVerifier>(createVerifier, []);
