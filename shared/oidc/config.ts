/**
 * The `AUTH0_*` variables, validated with zod and resolved into what the verifier needs: one
 * issuer, the audience of each token kind, an algorithm allowlist and where keys come from.
 * Errors name the variable, never its value.
 *
 * @module
 */
import * as z from 'zod';
import { envInt } from '../config.js';

/**
 * The algorithms `AUTH0_ALGORITHMS` may list. Never `none`; HS256 only with the custom preset's
 * shared secret (a JWKS never holds a symmetric key, and an issuer's public key must never become
 * an HMAC secret).
 */
export const oidcAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS256'] as const;

/** An algorithm `AUTH0_ALGORITHMS` may list. */
export type OidcAlgorithm = (typeof oidcAlgorithms)[number];

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http to this machine only (a local issuer in development and tests). */
function isTrustworthyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

const trustworthyUrl = z.string().refine(isTrustworthyUrl, 'must be an https URL (http only for localhost), without credentials or #fragment');

// A host name and optional port, as Auth0 shows it ("tenant.eu.auth0.com"); a scheme or path here
// would build an issuer no token carries.
const domain = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/i, 'must be a host name such as tenant.eu.auth0.com, without https:// or a path (or set AUTH0_ISSUER)');

const algorithmList = z
  .string()
  .transform((value, context) => {
    const names = [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))];
    if (names.length === 0) context.addIssue('must list at least one algorithm');
    for (const name of names) {
      if (name.toLowerCase() === 'none') context.addIssue('must not list none: unsigned tokens are never accepted');
      else if (!(oidcAlgorithms as readonly string[]).includes(name)) context.addIssue(`must list only ${oidcAlgorithms.join(', ')} (case as written)`);
    }
    return names as OidcAlgorithm[];
  });

const encoder = new TextEncoder();

/**
 * The `AUTH0_*` variables as strings arrive. {@link resolveOidcConfig} turns the parsed result into
 * an {@link OidcConfig}. A function that verifies tokens merges this schema into its own, so a bad
 * variable stops the build instead of the first request.
 *
 * @example
 * ```ts
 * const config = resolveOidcConfig(parseConfig(oidcConfigSchema, runtime.env));
 * ```
 */
export const oidcConfigSchema = z
  .object({
    AUTH0_PRESET: z.enum(['auth0', 'custom'], { error: 'must be auth0 or custom' }).default('auth0'),
    AUTH0_DOMAIN: domain.optional(),
    AUTH0_ISSUER: trustworthyUrl.optional(),
    AUTH0_AUDIENCE: z.string().min(1).max(1000).optional(),
    AUTH0_CLIENT_ID: z.string().min(1).max(1000).optional(),
    AUTH0_TOKEN_TYPE: z.enum(['access', 'id'], { error: 'must be access or id' }).default('access'),
    AUTH0_ALGORITHMS: algorithmList.optional(),
    AUTH0_JWKS_URL: trustworthyUrl.optional(),
    AUTH0_HS256_SECRET: z
      .string()
      .refine((value) => encoder.encode(value).length >= 32, 'must be at least 32 bytes: a short HMAC secret can be guessed offline from one token')
      .optional(),
    AUTH0_CLOCK_TOLERANCE_SECONDS: envInt({ min: 0, max: 60, default: 5 }),
    AUTH0_MAX_TOKEN_AGE_SECONDS: envInt({ min: 60, max: 2_592_000, default: 86_400 }),
    AUTH0_JWKS_COOLDOWN_SECONDS: envInt({ min: 1, max: 600, default: 30 }),
  })
  .superRefine((env, context) => {
    const problem = (variable: string, message: string) => context.addIssue({ code: 'custom', path: [variable], message });
    if (env.AUTH0_DOMAIN === undefined && env.AUTH0_ISSUER === undefined) {
      problem('AUTH0_DOMAIN', 'is required (the Auth0 tenant or custom domain), or set AUTH0_ISSUER to the exact issuer URL');
    }
    if (env.AUTH0_TOKEN_TYPE === 'access' && env.AUTH0_AUDIENCE === undefined) {
      problem('AUTH0_AUDIENCE', 'is required to verify access tokens (AUTH0_TOKEN_TYPE=access, the default): the API Identifier');
    }
    if (env.AUTH0_TOKEN_TYPE === 'id' && env.AUTH0_CLIENT_ID === undefined) {
      problem('AUTH0_CLIENT_ID', 'is required to verify ID tokens (AUTH0_TOKEN_TYPE=id)');
    }
    const algorithms = env.AUTH0_ALGORITHMS ?? [];
    if (env.AUTH0_HS256_SECRET !== undefined) {
      if (env.AUTH0_PRESET !== 'custom') problem('AUTH0_HS256_SECRET', 'is only for AUTH0_PRESET=custom: Auth0 access tokens are signed with RS256');
      if (env.AUTH0_JWKS_URL !== undefined) problem('AUTH0_JWKS_URL', 'must not be set with AUTH0_HS256_SECRET: keys come from one place');
      if (algorithms.some((name) => name !== 'HS256')) problem('AUTH0_ALGORITHMS', 'must be HS256 (or unset) with AUTH0_HS256_SECRET');
    } else if (algorithms.includes('HS256')) {
      problem('AUTH0_ALGORITHMS', 'may list HS256 only with AUTH0_PRESET=custom and AUTH0_HS256_SECRET');
    }
  });

/** Where verification keys come from. */
export type OidcKeySource =
  /** The custom preset's shared secret: HS256, no JWKS. */
  | { kind: 'secret'; secret: Uint8Array }
  /** A JWKS at a configured URL (`AUTH0_JWKS_URL`, or Auth0's `/.well-known/jwks.json`). */
  | { kind: 'jwks'; url: string }
  /** The `jwks_uri` of the issuer's discovery document (custom preset without `AUTH0_JWKS_URL`). */
  | { kind: 'discovery' };

/** What the verifier is built from: the variables, resolved. */
export interface OidcConfig {
  preset: 'auth0' | 'custom';
  /** Exactly as tokens must carry it in `iss`. */
  issuer: string;
  /** The API Identifier access tokens are for. */
  audience: string | undefined;
  /** The application ID tokens and logout tokens are for. */
  clientId: string | undefined;
  /** Which kind the token exchange accepts (`AUTH0_TOKEN_TYPE`). */
  exchangeKind: 'access' | 'id';
  algorithms: OidcAlgorithm[];
  keys: OidcKeySource;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number;
  jwksCooldownMs: number;
}

/**
 * `path` under the issuer, as OpenID Connect Discovery builds it: the issuer's trailing slash is
 * dropped first, so `https://tenant.auth0.com/` and `https://accounts.example.com` both work.
 *
 * @example
 * ```ts
 * wellKnownUrl('https://tenant.auth0.com/', 'openid-configuration'); // 'https://tenant.auth0.com/.well-known/openid-configuration'
 * ```
 */
export function wellKnownUrl(issuer: string, name: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/${name}`;
}

/**
 * The parsed variables as the verifier uses them.
 *
 * @example
 * ```ts
 * const config = resolveOidcConfig(parseConfig(oidcConfigSchema, { AUTH0_DOMAIN: 'tenant.eu.auth0.com', AUTH0_AUDIENCE: 'https://api.example.com' }));
 * config.issuer; // 'https://tenant.eu.auth0.com/'
 * ```
 */
export function resolveOidcConfig(env: z.output<typeof oidcConfigSchema>): OidcConfig {
  // AUTH0_ISSUER wins: a custom domain is a different issuer string from the tenant domain.
  const issuer = env.AUTH0_ISSUER ?? `https://${env.AUTH0_DOMAIN!.toLowerCase()}/`;
  const secret = env.AUTH0_HS256_SECRET;
  let keys: OidcKeySource;
  if (secret !== undefined) keys = { kind: 'secret', secret: encoder.encode(secret) };
  else if (env.AUTH0_JWKS_URL !== undefined) keys = { kind: 'jwks', url: env.AUTH0_JWKS_URL };
  // Auth0 publishes its JWKS at a fixed place, so no discovery round trip is needed for it.
  else if (env.AUTH0_PRESET === 'auth0') keys = { kind: 'jwks', url: wellKnownUrl(issuer, 'jwks.json') };
  else keys = { kind: 'discovery' };
  return {
    preset: env.AUTH0_PRESET,
    issuer,
    audience: env.AUTH0_AUDIENCE,
    clientId: env.AUTH0_CLIENT_ID,
    exchangeKind: env.AUTH0_TOKEN_TYPE,
    algorithms: secret !== undefined ? ['HS256'] : (env.AUTH0_ALGORITHMS ?? ['RS256']),
    keys,
    clockToleranceSeconds: env.AUTH0_CLOCK_TOLERANCE_SECONDS,
    maxTokenAgeSeconds: env.AUTH0_MAX_TOKEN_AGE_SECONDS,
    jwksCooldownMs: env.AUTH0_JWKS_COOLDOWN_SECONDS * 1000,
  };
}
