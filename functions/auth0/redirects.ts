/**
 * Where the redirect flow may send a browser: only to `success` and `failure` URLs on the origins
 * `AUTH0_REDIRECT_ORIGINS` lists exactly. Anything else is refused before the flow starts, never
 * redirected to: the success URL receives a token secret, so an open redirect would hand it to
 * whoever wrote the link.
 *
 * @module
 */

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a URL is safe to send a browser or a secret to: https, or http to this machine only
 * (development), with no user name, password or fragment.
 *
 * @example
 * ```ts
 * isTrustworthyUrl('https://app.example.com/signed-in'); // true
 * isTrustworthyUrl('http://app.example.com/');           // false
 * isTrustworthyUrl('http://localhost:5173/');            // true
 * ```
 */
export function isTrustworthyUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

/**
 * Why an entry of `AUTH0_REDIRECT_ORIGINS` is not an exact origin a URL could have, or `null`.
 * Never quotes the entry: configuration messages name variables and positions, not values.
 *
 * @example
 * ```ts
 * redirectOriginProblem('https://app.example.com');  // null
 * redirectOriginProblem('https://app.example.com/'); // 'must be an origin exactly ...'
 * ```
 */
export function redirectOriginProblem(entry: string): string | null {
  if (!isTrustworthyUrl(entry)) return 'must be an https origin (http only for localhost)';
  if (new URL(entry).origin !== entry) return 'must be an origin exactly as a URL has it: scheme://host[:port], lower-case, no path or trailing slash, no default port';
  return null;
}

/**
 * Longest `success` or `failure` URL: both ride in the flow cookie, which browsers cap at 4 KiB.
 *
 * @example
 * ```ts
 * z.string().max(MAX_REDIRECT_URL_CHARS);
 * ```
 */
export const MAX_REDIRECT_URL_CHARS = 1024;

/**
 * Whether a `success` or `failure` URL may be redirected to: trustworthy, at most
 * {@link MAX_REDIRECT_URL_CHARS} long, and on one of the allowed origins exactly.
 *
 * @example
 * ```ts
 * isAllowedRedirect('https://app.example.com/done', ['https://app.example.com']);      // true
 * isAllowedRedirect('https://app.example.com.evil.test/', ['https://app.example.com']); // false
 * ```
 */
export function isAllowedRedirect(value: string, origins: readonly string[]): boolean {
  return value.length <= MAX_REDIRECT_URL_CHARS && isTrustworthyUrl(value) && origins.includes(new URL(value).origin);
}

/**
 * `base` with query parameters added, keeping its own (a success page may carry `?next=...`).
 *
 * @example
 * ```ts
 * withParams('https://app.example.com/done?next=%2F', { userId: 'oidc-1', secret: 'ab' });
 * // 'https://app.example.com/done?next=%2F&userId=oidc-1&secret=ab'
 * ```
 */
export function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}
