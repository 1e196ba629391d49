/**
 * A local OpenID Connect issuer on 127.0.0.1, shaped like an Auth0 tenant (issuer `http://127.0.0.1:PORT/`
 * with the trailing slash, JWKS at `/.well-known/jwks.json`, token endpoint at `/oauth/token`), for
 * the verifier's attack suite and the redirect flow. Its endpoints are `npm start`'s development
 * issuer (`shared/dev-oidc/issuer.ts`); this adds its own port, fetch counts and failures.
 *
 * - Keys are made with jose (RSA, EC, EdDSA) and can rotate: `addKey` publishes a new one and makes
 *   it the signing key, `removeKey` unpublishes one. `/.well-known/jwks.json` (also `/jwks.json`)
 *   counts its fetches and can be made to fail.
 * - `/.well-known/openid-configuration`: discovery (issuer, authorization_endpoint, token_endpoint,
 *   jwks_uri, end_session_endpoint).
 * - `GET /authorize`: a tiny login form (authorization code flow; `state`, `nonce`, PKCE S256 kept
 *   with the code). `POST /authorize` with a `username` redirects to `redirect_uri` with `code` and
 *   `state`; the username `deny` redirects with `error=access_denied`.
 * - `POST /oauth/token`: `grant_type=authorization_code`, checks client_id/secret (form or HTTP
 *   Basic), redirect_uri, code_verifier and single use; answers `id_token` + `access_token`, and
 *   refuses as Auth0 does (401 `access_denied` for the client, 403 `invalid_grant` for the code).
 * - `sign(claims, options)` mints any token (headers too, for attacks); `accessClaims`, `idClaims`,
 *   `logoutClaims` give valid claims to start from; `forge` assembles a token with any signature.
 *
 * @example
 * ```ts
 * const issuer = await startOidcIssuer({ clock });
 * const platform = createTestPlatform({ env: issuer.env(), clock });
 * const token = await issuer.sign(issuer.accessClaims({ sub: 'auth0|alice' }));
 * await oidcPort.create(platform.runtime).verify(token, 'access');
 * ```
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url } from 'jose';
import type { Clock } from '../../shared/clock.js';
import { createDevelopmentIssuer, type Claims, type DevelopmentIssuer, type IssuerKeyAlgorithm } from '../../shared/dev-oidc/issuer.js';

export type { Claims, IssuerKeyAlgorithm, SignOptions } from '../../shared/dev-oidc/issuer.js';

/**
 * What the JWKS or discovery endpoint does instead of answering: another status (or a 200 with
 * `body`, which is not what was asked for), a dropped connection, or no answer at all.
 */
export type EndpointFailure = { status: number; body?: string } | 'drop' | 'hang';

/** Options; everything has a default. */
export interface OidcIssuerOptions {
  /** For `iat`/`exp` and authorization-code expiry. Default: the wall clock. */
  clock?: Clock;
  /** The algorithm of the first key. Default RS256. */
  algorithm?: IssuerKeyAlgorithm;
  clientId?: string;
  clientSecret?: string;
  /** The API Identifier access tokens are for. */
  audience?: string;
}

/**
 * The running issuer: the development issuer's keys, claims and signing (its `fetch` is served on
 * this issuer's own port), plus what the tests observe and break.
 */
export interface OidcIssuer extends Omit<DevelopmentIssuer, 'fetch'> {
  /** The issuer, as tokens carry it in `iss`: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly jwksUrl: string;
  /** How many times the JWKS was fetched (both paths). */
  readonly jwksFetches: number;
  /** The `accept` header of the last JWKS request. */
  readonly jwksAccept: string | undefined;
  /** How many times the discovery document was fetched. */
  readonly discoveryFetches: number;
  /** Variables for the auth0 preset pointed at this issuer; `overrides` win (`undefined` removes one). */
  env(overrides?: Record<string, string | undefined>): Record<string, string>;
  /** Makes the JWKS endpoint fail (`null` repairs it); it still counts the fetches. */
  failJwks(failure: EndpointFailure | null): void;
  /** Makes the discovery endpoint fail (`null` repairs it). */
  failDiscovery(failure: EndpointFailure | null): void;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * A compact JWS with any header, claims and signature (bytes, or a base64url string), signed by
 * nobody: for `alg: none`, zeroed and tampered signatures.
 *
 * @example
 * ```ts
 * forge({ alg: 'none' }, issuer.accessClaims(), ''); // an unsigned token
 * ```
 */
export function forge(header: Record<string, unknown>, claims: Claims, signature: Uint8Array | string = ''): string {
  const part = (value: unknown) => base64url.encode(encoder.encode(JSON.stringify(value)));
  return `${part(header)}.${part(claims)}.${typeof signature === 'string' ? signature : base64url.encode(signature)}`;
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts the issuer on an ephemeral loopback port: the development issuer (`shared/dev-oidc/issuer.ts`)
 * behind a Node server that counts JWKS and discovery fetches and plays their failures.
 *
 * @example
 * ```ts
 * const issuer = await startOidcIssuer();
 * afterAll(() => issuer.close());
 * ```
 */
export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  let jwksFetches = 0;
  let jwksAccept: string | undefined;
  let discoveryFetches = 0;
  let jwksFailure: EndpointFailure | null = null;
  let discoveryFailure: EndpointFailure | null = null;
  const hanging = new Set<ServerResponse>();
  let core: DevelopmentIssuer | null = null;

  /** Answers as `failure` says; false when there is no failure to play. */
  const failed = (request: IncomingMessage, response: ServerResponse, failure: EndpointFailure | null): boolean => {
    if (failure === null) return false;
    if (failure === 'drop') request.socket.destroy();
    else if (failure === 'hang') hanging.add(response);
    else {
      response.writeHead(failure.status, { 'content-type': 'application/json' });
      response.end(failure.body ?? JSON.stringify({ error: 'unavailable' }));
    }
    return true;
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://issuer').pathname;
    if (request.method === 'GET' && (path === '/.well-known/jwks.json' || path === '/jwks.json')) {
      jwksFetches++;
      jwksAccept = request.headers.accept;
      if (failed(request, response, jwksFailure)) return;
    }
    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      discoveryFetches++;
      if (failed(request, response, discoveryFailure)) return;
    }
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : new Uint8Array(await readBody(request));
    const headers = Object.entries(request.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)] as [string, string]]));
    const answer = await core!.fetch(new Request(new URL(request.url ?? '/', core!.url), { method: request.method ?? 'GET', headers, body }));
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    response.end(Buffer.from(await answer.arrayBuffer()));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'server_error', error_description: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const issuer = await createDevelopmentIssuer({
    url,
    clock: options.clock,
    algorithm: options.algorithm,
    clientId: options.clientId ?? 'kit-test-client',
    clientSecret: options.clientSecret ?? randomBytes(24).toString('base64url'),
    audience: options.audience ?? 'https://api.kit.test/',
  });
  core = issuer;

  return {
    url,
    jwksUrl: `${url}.well-known/jwks.json`,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
    audience: issuer.audience,
    get currentKid() {
      return issuer.currentKid;
    },
    get jwksFetches() {
      return jwksFetches;
    },
    get jwksAccept() {
      return jwksAccept;
    },
    get discoveryFetches() {
      return discoveryFetches;
    },
    env: (overrides = {}) =>
      withoutUndefined({ AUTH0_ISSUER: url, AUTH0_AUDIENCE: issuer.audience, AUTH0_CLIENT_ID: issuer.clientId, ...overrides }) as Record<string, string>,
    addKey: issuer.addKey,
    removeKey: issuer.removeKey,
    publicJwk: issuer.publicJwk,
    accessClaims: issuer.accessClaims,
    idClaims: issuer.idClaims,
    logoutClaims: issuer.logoutClaims,
    sign: issuer.sign,
    setUserClaims: issuer.setUserClaims,
    failJwks: (failure) => {
      jwksFailure = failure;
    },
    failDiscovery: (failure) => {
      discoveryFailure = failure;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
