/**
 * What the auth0 tests share: the function served over loopback next to the embedded Appwrite
 * and the local issuer (one manual clock for all three), a browser's cookie jar for the redirect
 * flow, and the web SDK exchange that proves a secret opens a session.
 *
 * @module
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Account, Client } from 'appwrite';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { auth0Function } from '../../functions/auth0/index.js';
import type { KitEnv } from '../../shared/http.js';
import { openApiDocument } from '../../shared/openapi.js';
import { PROJECT_ID, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { freshBrowser } from '../helpers/browser.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { createTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { captureLogs, connectionTo } from '../sign-in/helpers.js';

/** The roles claim every auth0 test maps to labels, namespaced as an Auth0 Action must. */
export const ROLES_CLAIM = 'https://kit.example/roles';
/** The only origin success and failure URLs may be on. */
export const APP_ORIGIN = 'https://app.example.com';
export const SUCCESS_URL = `${APP_ORIGIN}/signed-in`;
export const FAILURE_URL = `${APP_ORIGIN}/sign-in-failed`;
/** A cookie key of 64 hex characters, as `openssl rand -hex 32` makes one. */
export const COOKIE_SECRET = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** The function's own document: paths at the root, as this harness serves it. */
export const rootDocument = openApiDocument([auth0Function], { mounted: false });

/** Limits far above what any test reaches, for the tests that are not about limits. */
export const roomyLimits = {
  AUTH0_LIMIT_EXCHANGE_IP: '1000/60',
  AUTH0_LIMIT_SUBJECT: '1000/60',
  AUTH0_LIMIT_REDIRECT_IP: '1000/60',
  AUTH0_LIMIT_LOGOUT_IP: '1000/60',
};

/** The auth0 function on loopback, with what it talks to. */
export interface Auth0Harness {
  /** The function's base URL (routes at the root, as on Appwrite). */
  url: string;
  dev: RunningDevAppwrite;
  issuer: OidcIssuer;
  platform: TestPlatform;
  lines: string[];
  /** Rebuilds the function with these variables on top of the defaults (`undefined` removes one). */
  configure(env?: Record<string, string | undefined>): void;
  /** A request to the function, its answer checked against the OpenAPI document. */
  request(method: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the embedded Appwrite, the local issuer (on the double's manual clock) and the function
 * on its own loopback port, configured for the redirect flow with `AUTH0_CALLBACK_URL` on that
 * port unless a test says otherwise.
 *
 * @example
 * ```ts
 * const harness = await startAuth0Harness();
 * const answer = await harness.request('post', '/exchange', { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function startAuth0Harness(): Promise<Auth0Harness> {
  const dev = await startDevAppwrite();
  const issuer = await startOidcIssuer({ clock: dev.clock });
  const { logger, lines } = captureLogs();
  let app: Hono<KitEnv> | null = null;
  const server: ServerType = serve({ fetch: (request) => app!.fetch(request, { clientIp: '203.0.113.9' }), hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let platform = createTestPlatform({ connection: connectionTo(dev), clock: dev.clock, logger });

  const configure = (env: Record<string, string | undefined> = {}) => {
    const merged = {
      ...issuer.env(),
      AUTH0_ROLES_CLAIM: ROLES_CLAIM,
      AUTH0_CALLBACK_URL: `${url}/callback`,
      AUTH0_CLIENT_SECRET: issuer.clientSecret,
      AUTH0_COOKIE_SECRET: COOKIE_SECRET,
      AUTH0_REDIRECT_ORIGINS: APP_ORIGIN,
      ...roomyLimits,
      ...env,
    };
    const defined = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)) as Record<string, string>;
    // Fresh stores per configuration, so limits and replay records never leak between tests.
    platform = createTestPlatform({ connection: connectionTo(dev), clock: dev.clock, logger, env: defined });
    app = auth0Function.build(defined, platform.runtime);
  };
  configure();

  return {
    url,
    dev,
    issuer,
    get platform() {
      return platform;
    },
    lines,
    configure,
    async request(method, path, init = {}) {
      const response = await fetch(`${url}${path}`, { method: method.toUpperCase(), redirect: 'manual', ...init });
      await expectDocumentedAnswer(rootDocument, method, path, response);
      return response;
    },
    async close() {
      await issuer.close();
      (server as HttpServer).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dev.close();
    },
  };
}

/**
 * Exchanges a token with the web SDK in a fresh browser against `endpoint`; answers the account.
 *
 * @example
 * ```ts
 * const account = await openSession(harness.dev.endpoint, PROJECT_ID, userId, secret);
 * ```
 */
export async function openSession(endpoint: string, projectId: string, userId: string, secret: string) {
  freshBrowser();
  const account = new Account(new Client().setEndpoint(endpoint).setProject(projectId));
  await account.createSession({ userId, secret });
  return { account, user: await account.get() };
}

export { PROJECT_ID };

/** A browser's cookies, by name, as one site's `Cookie` header. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  /** What the jar saw set, attributes and all, newest last. */
  readonly setCookies: string[] = [];

  /** Keeps what a response sets; `Max-Age=0` removes. */
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      if (/;\s*Max-Age=0(\s*;|$)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A step of the redirect flow as the browser lives it. */
export interface FlowSteps {
  /** The issuer's authorization URL `/login` redirected to. */
  authorizeUrl: URL;
  /** The callback URL the issuer sent the browser back to, with `code` and `state`. */
  callbackUrl: URL;
}

/**
 * Runs the browser's side of the flow up to the callback: `/login`, the issuer's login form, the
 * form post. The callback is left to the test (to tamper with, or to replay). `username` is the
 * issuer's user (`deny` refuses); `beforeLogin` may change the authorization request.
 *
 * @example
 * ```ts
 * const jar = new CookieJar();
 * const { callbackUrl } = await throughIssuer(harness, jar, 'alice');
 * const landed = await followCallback(harness, jar, callbackUrl);
 * ```
 */
export async function throughIssuer(
  harness: Auth0Harness,
  jar: CookieJar,
  username: string,
  options: { beforeLogin?: (params: URLSearchParams) => void; success?: string; failure?: string } = {},
): Promise<FlowSteps> {
  const query = new URLSearchParams({ success: options.success ?? SUCCESS_URL, failure: options.failure ?? FAILURE_URL });
  const login = await harness.request('get', `/login?${query}`, { headers: { cookie: jar.header() } });
  expect(login.status, await login.clone().text()).toBe(302);
  jar.take(login);
  const authorizeUrl = new URL(login.headers.get('location')!);

  // The issuer's login page: its form holds the authorization request as hidden fields.
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(page.status).toBe(200);
  const html = await page.text();
  const fields = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.set(unescapeHtml(name!), unescapeHtml(value!));
  options.beforeLogin?.(fields);
  fields.set('username', username);
  const posted = await fetch(new URL('/authorize', authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
    redirect: 'manual',
  });
  expect(posted.status).toBe(302);
  return { authorizeUrl, callbackUrl: new URL(posted.headers.get('location')!) };
}

/** Calls the callback as the browser would, with the jar's cookies; keeps what it sets. */
export async function followCallback(harness: Auth0Harness, jar: CookieJar, callbackUrl: URL): Promise<Response> {
  const response = await harness.request('get', `/callback${callbackUrl.search}`, { headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
