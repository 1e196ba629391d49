/**
 * How sessions travel between Appwrite and its clients, reproduced for the double: the
 * `a_session_<projectId>` cookie (and its `_legacy` twin), the `X-Fallback-Cookies` header the web
 * SDK keeps in `localStorage` when cookies cannot work, and the `X-Appwrite-Session` header of
 * server-side clients. All three carry the same value: base64 of `{"id":userId,"secret":secret}`
 * (`utopia-php/auth` `Store::encode`).
 *
 * @module
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';

/** The user ID and plaintext session secret a client presented. */
export interface SessionCredentials {
  userId: string;
  secret: string;
}

/**
 * The session cookie's name for a project (Appwrite's `Store` key).
 *
 * @example
 * ```ts
 * sessionCookieName('kit'); // 'a_session_kit'
 * ```
 */
export function sessionCookieName(projectId: string): string {
  return `a_session_${projectId}`;
}

/**
 * Encodes session credentials the way Appwrite puts them in cookies and headers.
 *
 * @example
 * ```ts
 * encodeSession({ userId: 'alice', secret: 'f00d' }); // 'eyJpZCI6ImFsaWNlIiwic2VjcmV0IjoiZjAwZCJ9'
 * ```
 */
export function encodeSession(credentials: SessionCredentials): string {
  return Buffer.from(JSON.stringify({ id: credentials.userId, secret: credentials.secret })).toString('base64');
}

/**
 * Decodes a session value; anything malformed is no session at all, as in Appwrite.
 *
 * @example
 * ```ts
 * decodeSession(encodeSession({ userId: 'alice', secret: 'f00d' })); // { userId: 'alice', secret: 'f00d' }
 * decodeSession('garbage'); // null
 * ```
 */
export function decodeSession(value: string | undefined): SessionCredentials | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { id, secret } = parsed as Record<string, unknown>;
    if (typeof id !== 'string' || typeof secret !== 'string' || (id === '' && secret === '')) return null;
    return { userId: id, secret };
  } catch {
    return null;
  }
}

/**
 * Reads the session a request presents, in Appwrite's order: the cookie (then its `_legacy`
 * twin), the `X-Appwrite-Session` header, and last the web SDK's `X-Fallback-Cookies` JSON.
 *
 * @example
 * ```ts
 * const credentials = readSessionCredentials(c, 'my-project'); // null for a guest
 * ```
 */
export function readSessionCredentials(c: Context, projectId: string): SessionCredentials | null {
  const name = sessionCookieName(projectId);
  return (
    decodeSession(getCookie(c, name) ?? getCookie(c, `${name}_legacy`)) ??
    decodeSession(c.req.header('x-appwrite-session')) ??
    decodeSession(readFallbackCookie(c.req.header('x-fallback-cookies'), name))
  );
}

function readFallbackCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  try {
    const parsed: unknown = JSON.parse(header);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const value = (parsed as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets Appwrite's two session cookies and, when the caller's origin is not on the API's own
 * domain, the `X-Fallback-Cookies` header, exactly as Appwrite's session-creating routes do.
 *
 * @example
 * ```ts
 * writeSessionCookies(c, { projectId, value: encodeSession(credentials), expiresAtMs, nowMs });
 * ```
 */
export function writeSessionCookies(
  c: Context,
  options: { projectId: string; value: string; expiresAtMs: number; nowMs: number },
): void {
  const name = sessionCookieName(options.projectId);
  if (!isDomainVerified(c)) c.header('X-Fallback-Cookies', JSON.stringify({ [name]: options.value }));
  const cookie = { value: options.value, expiresAtMs: options.expiresAtMs, nowMs: options.nowMs };
  // The legacy twin has no SameSite attribute, for browsers that reject `SameSite=None`.
  c.header('Set-Cookie', serializeCookie(c, `${name}_legacy`, { ...cookie, sameSite: null }), { append: true });
  c.header('Set-Cookie', serializeCookie(c, name, { ...cookie, sameSite: 'None' }), { append: true });
}

/**
 * Expires both session cookies and empties the web SDK's fallback store, as Appwrite does when the
 * current session is deleted.
 *
 * @example
 * ```ts
 * clearSessionCookies(c, { projectId, nowMs: clock.now() });
 * ```
 */
export function clearSessionCookies(c: Context, options: { projectId: string; nowMs: number }): void {
  const name = sessionCookieName(options.projectId);
  if (!isDomainVerified(c)) c.header('X-Fallback-Cookies', '[]');
  const cookie = { value: '', expiresAtMs: options.nowMs - 3_600_000, nowMs: options.nowMs };
  c.header('Set-Cookie', serializeCookie(c, `${name}_legacy`, { ...cookie, sameSite: null }), { append: true });
  c.header('Set-Cookie', serializeCookie(c, name, { ...cookie, sameSite: 'None' }), { append: true });
}

/**
 * Appwrite's `domainVerification`: the request's Origin (or Referer) shares the API host's
 * registrable domain. The double approximates "registrable domain" by the last two labels, and
 * treats IPs and single-label hosts (localhost) as having none, like Appwrite does.
 */
function isDomainVerified(c: Context): boolean {
  const origin = c.req.header('origin') || c.req.header('referer') || '';
  const originHost = hostnameOf(origin);
  const apiHost = new URL(c.req.url).hostname;
  const registrable = registrableDomain(originHost);
  return registrable !== '' && registrable === registrableDomain(apiHost);
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function registrableDomain(hostname: string): string {
  if (hostname === '' || /^[\d.]+$/.test(hostname) || hostname.includes(':') || hostname.startsWith('[')) return '';
  const labels = hostname.split('.');
  return labels.length < 2 ? '' : labels.slice(-2).join('.');
}

/** Appwrite's `cookieDomain`: none for localhost and IP hosts, else `.` + the request host. */
function cookieDomain(c: Context): string | null {
  const hostname = new URL(c.req.url).hostname;
  if (hostname === 'localhost' || /^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return null;
  return `.${hostname}`;
}

function requestProtocol(c: Context): string {
  return c.req.header('x-forwarded-proto') ?? new URL(c.req.url).protocol.replace(':', '');
}

/**
 * Written by hand rather than with `hono/cookie`: that helper refuses expiries more than 400 days
 * after the wall clock, and the double's clock may be moved far from it by tests.
 */
function serializeCookie(
  c: Context,
  name: string,
  cookie: { value: string; expiresAtMs: number; nowMs: number; sameSite: 'None' | null },
): string {
  const maxAge = Math.max(0, Math.floor((cookie.expiresAtMs - cookie.nowMs) / 1000));
  const parts = [
    `${name}=${encodeURIComponent(cookie.value)}`,
    `Expires=${new Date(cookie.expiresAtMs).toUTCString()}`,
    `Max-Age=${maxAge}`,
    'Path=/',
  ];
  const domain = cookieDomain(c);
  if (domain) parts.push(`Domain=${domain}`);
  if (requestProtocol(c) === 'https') parts.push('Secure');
  parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}
