/**
 * A local OpenID Connect issuer on 127.0.0.1, shaped like an Auth0 tenant (issuer `http://127.0.0.1:PORT/`
 * with the trailing slash, JWKS at `/.well-known/jwks.json`, token endpoint at `/oauth/token`), for
 * the verifier's attack suite and the redirect flow.
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
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../../shared/clock.js';

/** The algorithms the issuer can make keys for. */
export type IssuerKeyAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

/** Claims to sign; a claim set to `undefined` is left out. */
export type Claims = Record<string, unknown>;

/** How `sign` signs. */
export interface SignOptions {
  /** Which of the issuer's keys signs (default: the newest). Also written as the header `kid`. */
  kid?: string;
  /** Merged over the header `{ alg, typ: 'JWT', kid }`; a member set to `undefined` is left out. */
  header?: Record<string, unknown>;
  /** Sign with this key instead of the issuer's (an attacker's key, an HMAC secret); `header.alg` must fit it. */
  key?: CryptoKey | Uint8Array;
  /** Header extensions to sign although jose does not know them (for `crit` attacks). */
  crit?: Record<string, boolean>;
}

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

/** The running issuer. */
export interface OidcIssuer {
  /** The issuer, as tokens carry it in `iss`: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly jwksUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  /** The kid `sign` uses by default: the newest key. */
  readonly currentKid: string;
  /** How many times the JWKS was fetched (both paths). */
  readonly jwksFetches: number;
  /** How many times the discovery document was fetched. */
  readonly discoveryFetches: number;
  /** Variables for the auth0 preset pointed at this issuer; `overrides` win (`undefined` removes one). */
  env(overrides?: Record<string, string | undefined>): Record<string, string>;
  /**
   * Makes a key and publishes it; `sign` uses it from now on unless `current: false` (a key published
   * ahead of a rotation). Returns its kid.
   */
  addKey(algorithm?: IssuerKeyAlgorithm, options?: { kid?: string; current?: boolean }): Promise<string>;
  /** Unpublishes a key (it can still sign, as a stolen or retired key would). */
  removeKey(kid: string): void;
  /** The public JWK of a key (default: the newest). */
  publicJwk(kid?: string): JWK;
  /** Valid access-token claims at the clock's now; overrides win (`undefined` removes a claim). */
  accessClaims(overrides?: Claims): Claims;
  /** Valid ID-token claims. */
  idClaims(overrides?: Claims): Claims;
  /** Valid back-channel logout-token claims. */
  logoutClaims(overrides?: Claims): Claims;
  /** Signs exactly these claims (nothing added) as a compact JWS. */
  sign(claims: Claims, options?: SignOptions): Promise<string>;
  /** Claims added to the tokens the token endpoint issues for a username (roles, email, ...). */
  setUserClaims(username: string, claims: Claims): void;
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

interface IssuerKey {
  algorithm: IssuerKeyAlgorithm;
  privateKey: CryptoKey;
  jwk: JWK;
  published: boolean;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  username: string;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  audience: string | undefined;
  expiresAt: number;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Authorization codes live a minute, as Auth0's do. */
const CODE_LIFETIME_MS = 60_000;

/**
 * Starts the issuer on an ephemeral loopback port.
 *
 * @example
 * ```ts
 * const issuer = await startOidcIssuer();
 * afterAll(() => issuer.close());
 * ```
 */
export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const clock = options.clock ?? { now: () => Date.now() };
  const clientId = options.clientId ?? 'kit-test-client';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const audience = options.audience ?? 'https://api.kit.test/';
  const keys = new Map<string, IssuerKey>();
  const codes = new Map<string, AuthorizationCode>();
  const userClaims = new Map<string, Claims>();
  let currentKid = '';
  let jwksFetches = 0;
  let discoveryFetches = 0;
  let jwksFailure: EndpointFailure | null = null;
  let discoveryFailure: EndpointFailure | null = null;
  const hanging = new Set<ServerResponse>();
  let url = '';

  const nowSeconds = () => Math.floor(clock.now() / 1000);

  async function addKey(algorithm: IssuerKeyAlgorithm = 'RS256', keyOptions: { kid?: string; current?: boolean } = {}): Promise<string> {
    const kid = keyOptions.kid ?? `key-${keys.size + 1}-${randomBytes(4).toString('hex')}`;
    const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
    keys.set(kid, { algorithm, privateKey, jwk, published: true });
    if (keyOptions.current !== false) currentKid = kid;
    return kid;
  }

  async function sign(claims: Claims, signOptions: SignOptions = {}): Promise<string> {
    const kid = signOptions.kid ?? currentKid;
    const key = keys.get(kid);
    if (!key && !signOptions.key) throw new Error(`No key ${kid}.`);
    const header = withoutUndefined({ alg: key?.algorithm, typ: 'JWT', kid, ...signOptions.header });
    const signer = new CompactSign(encoder.encode(JSON.stringify(withoutUndefined(claims)))).setProtectedHeader(header as { alg: string });
    return signer.sign(signOptions.key ?? key!.privateKey, signOptions.crit ? { crit: signOptions.crit } : undefined);
  }

  const baseClaims = (aud: unknown, overrides: Claims) =>
    withoutUndefined({ iss: url, sub: 'auth0|alice', aud, iat: nowSeconds(), exp: nowSeconds() + 3600, ...overrides });

  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    response.end(JSON.stringify(body));
  };
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
  const redirect = (response: ServerResponse, target: string) => {
    response.writeHead(302, { location: target });
    response.end();
  };

  function authorizeError(params: URLSearchParams): string | undefined {
    if (params.get('response_type') !== 'code') return 'response_type must be code';
    if (params.get('client_id') !== clientId) return 'unknown client_id';
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!URL.canParse(redirectUri)) return 'redirect_uri must be a URL';
    if (!(params.get('scope') ?? '').split(' ').includes('openid')) return 'scope must include openid';
    const challenge = params.get('code_challenge');
    if (challenge !== null && params.get('code_challenge_method') !== 'S256') return 'code_challenge_method must be S256';
    return undefined;
  }

  function loginForm(params: URLSearchParams): string {
    const hidden = [...params].map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
    return `<!doctype html><title>Log in</title><form method="post" action="/authorize">${hidden}<input name="username" autocomplete="username"><button>Log in</button></form>`;
  }

  async function tokens(username: string, code: AuthorizationCode): Promise<Record<string, unknown>> {
    const extra = userClaims.get(username) ?? {};
    const sub = `auth0|${username}`;
    const idToken = await sign(
      baseClaims(clientId, { sub, nonce: code.nonce, name: username, email: `${username}@example.com`, email_verified: true, exp: nowSeconds() + 36_000, ...extra }),
    );
    const accessToken = await sign(baseClaims(code.audience ?? audience, { sub, azp: clientId, scope: 'openid profile email', ...extra }));
    return { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email' };
  }

  async function tokenEndpoint(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const type = request.headers['content-type'] ?? '';
    const fields = type.includes('application/json') ? new URLSearchParams(Object.entries(JSON.parse(text) as Record<string, string>)) : new URLSearchParams(text);
    let [id, secret] = [fields.get('client_id'), fields.get('client_secret')];
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
    if (basic) [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent) as [string, string];
    if (id !== clientId || secret !== clientSecret) return json(response, 401, { error: 'access_denied', error_description: 'Unauthorized' });
    if (fields.get('grant_type') !== 'authorization_code') return json(response, 403, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
    const codeValue = fields.get('code') ?? '';
    const code = codes.get(codeValue);
    // Single use: a code is gone once presented, right or wrong.
    codes.delete(codeValue);
    if (!code || code.expiresAt <= clock.now() || code.clientId !== id) return json(response, 403, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
    if (fields.get('redirect_uri') !== code.redirectUri) return json(response, 403, { error: 'invalid_grant', error_description: 'Invalid redirect_uri' });
    if (code.codeChallenge !== undefined) {
      const verifier = fields.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) return json(response, 403, { error: 'invalid_grant', error_description: 'Failed to verify code verifier' });
    }
    return json(response, 200, await tokens(code.username, code));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestUrl = new URL(request.url ?? '/', url);
    const path = requestUrl.pathname;
    if (request.method === 'GET' && (path === '/.well-known/jwks.json' || path === '/jwks.json')) {
      jwksFetches++;
      if (failed(request, response, jwksFailure)) return;
      return json(response, 200, { keys: [...keys.values()].filter((key) => key.published).map((key) => key.jwk) });
    }
    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      discoveryFetches++;
      if (failed(request, response, discoveryFailure)) return;
      return json(response, 200, {
        issuer: url,
        authorization_endpoint: `${url}authorize`,
        token_endpoint: `${url}oauth/token`,
        jwks_uri: `${url}.well-known/jwks.json`,
        end_session_endpoint: `${url}oidc/logout`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        backchannel_logout_supported: true,
      });
    }
    if (request.method === 'GET' && path === '/authorize') {
      const problem = authorizeError(requestUrl.searchParams);
      if (problem) return json(response, 400, { error: 'invalid_request', error_description: problem });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void response.end(loginForm(requestUrl.searchParams));
    }
    if (request.method === 'POST' && path === '/authorize') {
      const params = new URLSearchParams(await readBody(request));
      const problem = authorizeError(params);
      if (problem) return json(response, 400, { error: 'invalid_request', error_description: problem });
      const target = new URL(params.get('redirect_uri')!);
      const state = params.get('state');
      const username = params.get('username') ?? '';
      if (username === '' || username === 'deny') {
        target.searchParams.set('error', 'access_denied');
        target.searchParams.set('error_description', 'The user denied access.');
      } else {
        const code = randomBytes(16).toString('base64url');
        codes.set(code, {
          clientId,
          redirectUri: params.get('redirect_uri')!,
          username,
          nonce: params.get('nonce') ?? undefined,
          codeChallenge: params.get('code_challenge') ?? undefined,
          audience: params.get('audience') ?? undefined,
          expiresAt: clock.now() + CODE_LIFETIME_MS,
        });
        target.searchParams.set('code', code);
      }
      if (state !== null) target.searchParams.set('state', state);
      return redirect(response, target.href);
    }
    if (request.method === 'POST' && path === '/oauth/token') return tokenEndpoint(request, response);
    json(response, 404, { error: 'not_found' });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: 'server_error', error_description: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await addKey(options.algorithm ?? 'RS256');

  return {
    url,
    jwksUrl: `${url}.well-known/jwks.json`,
    clientId,
    clientSecret,
    audience,
    get currentKid() {
      return currentKid;
    },
    get jwksFetches() {
      return jwksFetches;
    },
    get discoveryFetches() {
      return discoveryFetches;
    },
    env: (overrides = {}) =>
      withoutUndefined({ AUTH0_ISSUER: url, AUTH0_AUDIENCE: audience, AUTH0_CLIENT_ID: clientId, ...overrides }) as Record<string, string>,
    addKey,
    removeKey: (kid) => {
      const key = keys.get(kid);
      if (!key) throw new Error(`No key ${kid}.`);
      key.published = false;
    },
    publicJwk: (kid = currentKid) => {
      const key = keys.get(kid);
      if (!key) throw new Error(`No key ${kid}.`);
      return key.jwk;
    },
    accessClaims: (overrides = {}) => baseClaims(audience, { azp: clientId, scope: 'openid', ...overrides }),
    idClaims: (overrides = {}) => baseClaims(clientId, { exp: nowSeconds() + 36_000, email: 'alice@example.com', email_verified: true, ...overrides }),
    logoutClaims: (overrides = {}) =>
      baseClaims(clientId, { jti: randomBytes(12).toString('base64url'), sid: 'session-1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, exp: nowSeconds() + 120, ...overrides }),
    sign,
    setUserClaims: (username, claims) => void userClaims.set(username, claims),
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
