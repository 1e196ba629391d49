/**
 * A development OpenID Connect issuer, shaped like an Auth0 tenant: `npm start` serves it under
 * `/_dev/oidc/` so the auth0 function's redirect flow and token exchange work without a tenant,
 * and the tests run it on a port of its own (`test/helpers/oidc-issuer.ts`).
 *
 * **Development only.** Anyone who reaches it signs in as anyone: the login form asks for a user
 * name and nothing else. It is a `fetch` handler on web APIs (jose, WebCrypto), relative to the
 * path of its issuer URL:
 *
 * - `GET .well-known/openid-configuration` (discovery) and `GET .well-known/jwks.json` (also `jwks.json`).
 * - `GET authorize`: the login form (authorization code flow; `state`, `nonce`, PKCE S256 kept with
 *   the code). `POST authorize` with a `username` redirects to `redirect_uri` with `code` and
 *   `state`; the username `deny` (or none) redirects with `error=access_denied`.
 * - `POST oauth/token`: `grant_type=authorization_code`; checks client ID and secret (form or HTTP
 *   Basic), `redirect_uri`, `code_verifier` and single use; answers `id_token` and `access_token`,
 *   refusing as Auth0 does (401 `access_denied` for the client, 403 `invalid_grant` for the code).
 * - `POST dev/access-token` with a `username`: an access token for the audience, standing in for
 *   the token an app's Auth0 SDK would hold (the playground's token-exchange demo).
 *
 * @module
 */
import { base64url, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { systemClock, type Clock } from '../clock.js';

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

/** Options of {@link createDevelopmentIssuer}. */
export interface DevelopmentIssuerOptions {
  /** The issuer as tokens carry it in `iss`, ending in `/`: `http://127.0.0.1:3000/_dev/oidc/`. */
  url: string;
  /** For `iat`/`exp` and authorization-code expiry. Default: the wall clock. */
  clock?: Clock;
  /** The algorithm of the first key. Default RS256. */
  algorithm?: IssuerKeyAlgorithm;
  clientId: string;
  clientSecret: string;
  /** The API Identifier access tokens are for. */
  audience: string;
  /** When set, the login form asks for roles too, and tokens carry them in this claim (an array). */
  rolesClaim?: string;
}

/** A running issuer: its handler and what tests need to mint and rotate. */
export interface DevelopmentIssuer {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  /** The kid `sign` uses by default: the newest key. */
  readonly currentKid: string;
  /** Answers a request whose path is under the issuer URL's path; anything else is a 404. */
  fetch(request: Request): Promise<Response>;
  /** Makes a key and publishes it; `sign` uses it from now on unless `current: false`. Returns its kid. */
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
  /** Claims added to the tokens issued for a username (roles, email, ...). */
  setUserClaims(username: string, claims: Claims): void;
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
  roles: string[];
  nonce: string | undefined;
  codeChallenge: string | undefined;
  audience: string | undefined;
  expiresAt: number;
}

const encoder = new TextEncoder();

/** Authorization codes live a minute, as Auth0's do. */
const CODE_LIFETIME_MS = 60_000;

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function randomText(bytes: number): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function sha256Base64url(text: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

/** Fields of a form or JSON body. */
async function fieldsOf(request: Request): Promise<URLSearchParams> {
  const text = await request.text();
  if (!(request.headers.get('content-type') ?? '').includes('application/json')) return new URLSearchParams(text);
  return new URLSearchParams(Object.entries(JSON.parse(text) as Record<string, string>));
}

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { 'cache-control': 'no-store' } });

/**
 * The login page: a form posting back the authorization request with a user name (and roles).
 * Inline styles only, so it needs no other file; `form-action` is left to the browser's default.
 */
function loginPage(action: string, params: URLSearchParams, askRoles: boolean): Response {
  const hidden = [...params].map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  const roles = askRoles
    ? '<label for="roles">Roles (comma-separated; they become Appwrite labels)</label><input id="roles" name="roles" placeholder="admin, editor">'
    : '';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in</title><style>body{font:16px system-ui,sans-serif;max-width:24rem;margin:2rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box;margin:.4rem 0}input,button{padding:.5rem;font:inherit}</style></head>
<body><h1>Development issuer</h1><p>Log in as anyone: this issuer exists for development only.</p>
<form method="post" action="${escapeHtml(action)}">${hidden}<label for="username">User name</label><input id="username" name="username" autocomplete="username" required>${roles}<button>Log in</button></form></body></html>`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

/**
 * Creates the issuer with one signing key.
 *
 * @example
 * ```ts
 * const issuer = await createDevelopmentIssuer({ url: 'http://127.0.0.1:3000/_dev/oidc/', clientId: 'kit-dev', clientSecret, audience: 'https://api.kit.local/' });
 * const discovery = await issuer.fetch(new Request(`${issuer.url}.well-known/openid-configuration`));
 * ```
 */
export async function createDevelopmentIssuer(options: DevelopmentIssuerOptions): Promise<DevelopmentIssuer> {
  const { url, clientId, clientSecret, audience, rolesClaim, clock = systemClock } = options;
  const base = new URL(url).pathname;
  const keys = new Map<string, IssuerKey>();
  const codes = new Map<string, AuthorizationCode>();
  const userClaims = new Map<string, Claims>();
  let currentKid = '';
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  async function addKey(algorithm: IssuerKeyAlgorithm = 'RS256', keyOptions: { kid?: string; current?: boolean } = {}): Promise<string> {
    const kid = keyOptions.kid ?? `key-${keys.size + 1}-${randomText(4)}`;
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

  const baseClaims = (aud: unknown, overrides: Claims) => withoutUndefined({ iss: url, sub: 'auth0|alice', aud, iat: nowSeconds(), exp: nowSeconds() + 3600, ...overrides });

  /** What a user's tokens carry besides the standard claims: their roles, then what a test set. */
  const extraClaims = (username: string, roles: string[]): Claims => ({ ...(rolesClaim && roles.length > 0 ? { [rolesClaim]: roles } : {}), ...userClaims.get(username) });

  const accessToken = (username: string, roles: string[], tokenAudience = audience) =>
    sign(baseClaims(tokenAudience, { sub: `auth0|${username}`, azp: clientId, scope: 'openid profile email', ...extraClaims(username, roles) }));

  async function tokens(code: AuthorizationCode): Promise<Record<string, unknown>> {
    const { username, roles } = code;
    const idToken = await sign(
      baseClaims(clientId, {
        sub: `auth0|${username}`,
        nonce: code.nonce,
        name: username,
        email: `${username}@example.com`,
        email_verified: true,
        exp: nowSeconds() + 36_000,
        ...extraClaims(username, roles),
      }),
    );
    return { access_token: await accessToken(username, roles, code.audience), id_token: idToken, token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email' };
  }

  function authorizeError(params: URLSearchParams): string | undefined {
    if (params.get('response_type') !== 'code') return 'response_type must be code';
    if (params.get('client_id') !== clientId) return 'unknown client_id';
    if (!URL.canParse(params.get('redirect_uri') ?? '')) return 'redirect_uri must be a URL';
    if (!(params.get('scope') ?? '').split(' ').includes('openid')) return 'scope must include openid';
    if (params.get('code_challenge') !== null && params.get('code_challenge_method') !== 'S256') return 'code_challenge_method must be S256';
    return undefined;
  }

  async function logIn(params: URLSearchParams): Promise<Response> {
    const problem = authorizeError(params);
    if (problem) return json(400, { error: 'invalid_request', error_description: problem });
    const target = new URL(params.get('redirect_uri')!);
    const username = (params.get('username') ?? '').trim();
    if (username === '' || username === 'deny') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied access.');
    } else {
      const code = randomText(16);
      codes.set(code, {
        clientId,
        redirectUri: params.get('redirect_uri')!,
        username,
        roles: rolesFrom(params.get('roles')),
        nonce: params.get('nonce') ?? undefined,
        codeChallenge: params.get('code_challenge') ?? undefined,
        audience: params.get('audience') ?? undefined,
        expiresAt: clock.now() + CODE_LIFETIME_MS,
      });
      target.searchParams.set('code', code);
    }
    const state = params.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return new Response(null, { status: 302, headers: { location: target.href } });
  }

  async function tokenEndpoint(request: Request): Promise<Response> {
    const fields = await fieldsOf(request);
    let [id, secret] = [fields.get('client_id'), fields.get('client_secret')];
    const basic = /^Basic (.+)$/i.exec(request.headers.get('authorization') ?? '');
    if (basic) [id, secret] = atob(basic[1]!).split(':').map(decodeURIComponent) as [string, string];
    if (id !== clientId || secret !== clientSecret) return json(401, { error: 'access_denied', error_description: 'Unauthorized' });
    if (fields.get('grant_type') !== 'authorization_code') return json(403, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
    const codeValue = fields.get('code') ?? '';
    const code = codes.get(codeValue);
    // Single use: a code is gone once presented, right or wrong.
    codes.delete(codeValue);
    if (!code || code.expiresAt <= clock.now() || code.clientId !== id) return json(403, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
    if (fields.get('redirect_uri') !== code.redirectUri) return json(403, { error: 'invalid_grant', error_description: 'Invalid redirect_uri' });
    if (code.codeChallenge !== undefined && (await sha256Base64url(fields.get('code_verifier') ?? '')) !== code.codeChallenge) {
      return json(403, { error: 'invalid_grant', error_description: 'Failed to verify code verifier' });
    }
    return json(200, await tokens(code));
  }

  async function handle(request: Request): Promise<Response> {
    const requestUrl = new URL(request.url);
    if (!requestUrl.pathname.startsWith(base)) return json(404, { error: 'not_found' });
    const path = requestUrl.pathname.slice(base.length);
    const { method } = request;
    if (method === 'GET' && (path === '.well-known/jwks.json' || path === 'jwks.json')) {
      return json(200, { keys: [...keys.values()].filter((key) => key.published).map((key) => key.jwk) });
    }
    if (method === 'GET' && path === '.well-known/openid-configuration') {
      return json(200, {
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
    if (method === 'GET' && path === 'authorize') {
      const problem = authorizeError(requestUrl.searchParams);
      if (problem) return json(400, { error: 'invalid_request', error_description: problem });
      return loginPage(`${base}authorize`, requestUrl.searchParams, rolesClaim !== undefined);
    }
    if (method === 'POST' && path === 'authorize') return logIn(new URLSearchParams(await request.text()));
    if (method === 'POST' && path === 'oauth/token') return tokenEndpoint(request);
    if (method === 'POST' && path === 'dev/access-token') {
      const fields = await fieldsOf(request);
      const username = (fields.get('username') ?? '').trim();
      if (!/^[\w.@+-]{1,64}$/.test(username)) return json(400, { error: 'invalid_request', error_description: 'username must be 1-64 letters, digits or ._@+-' });
      return json(200, { access_token: await accessToken(username, rolesFrom(fields.get('roles'))), token_type: 'Bearer', expires_in: 3600 });
    }
    return json(404, { error: 'not_found' });
  }

  await addKey(options.algorithm ?? 'RS256');
  return {
    url,
    clientId,
    clientSecret,
    audience,
    get currentKid() {
      return currentKid;
    },
    fetch: (request) => handle(request).catch((error: unknown) => json(500, { error: 'server_error', error_description: String(error) })),
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
      baseClaims(clientId, { jti: randomText(12), sid: 'session-1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, exp: nowSeconds() + 120, ...overrides }),
    sign,
    setUserClaims: (username, claims) => void userClaims.set(username, claims),
  };
}

/** `admin, editor` → `['admin', 'editor']`: letters and digits only, as Appwrite labels allow. */
function rolesFrom(text: string | null): string[] {
  return [...new Set((text ?? '').split(',').map((role) => role.trim()).filter((role) => /^[A-Za-z0-9]{1,20}$/.test(role)))].slice(0, 10);
}
