/**
 * Which web pages may call a function, and what they may read: the rules an entry of
 * `CORS_ALLOWED_ORIGINS` must follow, matching a request's `Origin` against the list, and the CORS
 * middleware every function app (and the mount root) is built with.
 *
 * An entry is an origin exactly as a browser sends it (`scheme://host[:port]`: http or https,
 * lower-case, punycode host, no default port, nothing after it), a subdomain wildcard
 * (`https://*.example.com`: one label, any name), or `*` alone. Anything else is refused when the
 * function starts, never matched silently: `http://127.0.0.1:5173/` would match no browser at all.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * Answer headers a page may read besides the CORS-safelisted ones: when to retry a refused request
 * (the rate-limit guard's 429, the argon2 gate's 503). Without them `Retry-After` reads `null` in a browser.
 */
export const EXPOSED_HEADERS: readonly string[] = ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

/** Seconds a browser may reuse a preflight answer (Chromium caps it at 7200). */
export const PREFLIGHT_MAX_AGE = 600;

const wildcardStart = /^https?:\/\/\*\./;

/**
 * Why one entry of an allowed-origins list is not an origin a browser could send, or `null` when it is
 * one (or a subdomain wildcard). `*` is judged by {@link corsOriginsProblems}, which sees the whole list.
 *
 * @example
 * ```ts
 * originProblem('https://app.example.com');  // null
 * originProblem('https://*.example.com');    // null
 * originProblem('http://127.0.0.1:5173/');   // 'must not end in "/" ...'
 * ```
 */
export function originProblem(entry: string): string | null {
  if (entry.toLowerCase() === 'null') {
    return 'null is refused: sandboxed iframes, file: pages and cross-site redirects all send Origin: null, so allowing it allows any of them';
  }
  const wildcard = wildcardStart.test(entry);
  // The wildcard as one ordinary label, so the rest is checked like any origin.
  const concrete = wildcard ? entry.replace('*.', 'x.') : entry;
  if (concrete.includes('*')) return 'may use * only alone, or as the whole leftmost label of a host (https://*.example.com)';
  if (!URL.canParse(concrete)) return 'is not an origin: write scheme://host[:port], e.g. https://app.example.com';
  const url = new URL(concrete);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.username || url.password) return 'must not hold a user name or password';
  if (url.pathname !== '/' || url.search || url.hash) return 'must have no path, query or fragment: an origin is scheme://host[:port]';
  if (concrete.endsWith('/')) return 'must not end in "/": browsers send an origin without it';
  if (url.origin !== concrete) return 'must be written as browsers send it: lower-case, punycode host, no default port (:80, :443)';
  if (wildcard && url.hostname.split('.').length < 3) return 'a wildcard needs a domain of at least two labels after it (https://*.example.com)';
  return null;
}

/**
 * What is wrong with a whole allowed-origins list, as messages naming each bad entry by position
 * (never by value, as every configuration message here). Empty when the list is valid.
 *
 * @example
 * ```ts
 * corsOriginsProblems(['*']);                                // []
 * corsOriginsProblems(['https://a.example', 'null']);        // ['origin 2: null is refused: ...']
 * corsOriginsProblems(['*', 'https://a.example']);           // ['* allows every origin: write it alone']
 * ```
 */
export function corsOriginsProblems(origins: readonly string[]): string[] {
  if (origins.length === 0) return ['must list at least one origin, or be *'];
  if (origins.includes('*')) return origins.length === 1 ? [] : ['* allows every origin: write it alone'];
  return origins.flatMap((origin, index) => {
    const problem = originProblem(origin);
    return problem === null ? [] : [`origin ${index + 1} ${problem}`];
  });
}

/** A wildcard label as browsers serialise hosts: one label, no dot, port or path. */
const label = /^[a-z0-9_-]+$/;

/**
 * Whether a request's `Origin` header is allowed by a list of valid entries ({@link corsOriginsProblems}).
 * `https://*.example.com` allows `https://app.example.com` but neither `https://example.com`,
 * `https://a.b.example.com`, `http://app.example.com` nor another port.
 *
 * @example
 * ```ts
 * const allowed = originMatcher(['https://*.example.com']);
 * allowed('https://pr-12.example.com'); // true
 * allowed('https://example.com');       // false
 * ```
 */
export function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  if (origins.includes('*')) return () => true;
  const exact = new Set(origins.filter((origin) => !wildcardStart.test(origin)));
  const wildcards = origins.filter((origin) => wildcardStart.test(origin)).map((origin) => origin.split('*'));
  return (origin) =>
    exact.has(origin) ||
    wildcards.some(([prefix = '', suffix = '']) => {
      if (origin.length <= prefix.length + suffix.length || !origin.startsWith(prefix) || !origin.endsWith(suffix)) return false;
      return label.test(origin.slice(prefix.length, origin.length - suffix.length));
    });
}

/**
 * The CORS middleware for a list of allowed origins: no credentials (the kit's requests carry none),
 * {@link EXPOSED_HEADERS} readable, preflights cached {@link PREFLIGHT_MAX_AGE} seconds. Throws a
 * `TypeError` for a list that breaks the rules: a list from the environment was checked by
 * `envCorsOrigins()` already, so only code can hand one over.
 *
 * @example
 * ```ts
 * app.use(corsPolicy(['https://app.example.com']));
 * root.use('/health', corsPolicy(['*'], ['GET', 'HEAD']));
 * ```
 */
export function corsPolicy(origins: readonly string[], allowMethods: string[] = ['POST', 'GET', 'OPTIONS']): MiddlewareHandler {
  const problems = corsOriginsProblems(origins);
  if (problems.length > 0) throw new TypeError(`Invalid CORS origins: ${problems.join('; ')}.`);
  const allowed = originMatcher(origins);
  return cors({
    // '*' as such: the answer is then the same for every origin and needs no Vary: Origin.
    origin: origins.includes('*') ? '*' : (origin) => (allowed(origin) ? origin : null),
    allowMethods,
    exposeHeaders: [...EXPOSED_HEADERS],
    maxAge: PREFLIGHT_MAX_AGE,
  });
}
