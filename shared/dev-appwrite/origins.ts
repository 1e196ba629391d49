/**
 * Which browser origins may call the embedded Appwrite, like an Appwrite project's platforms list:
 * CORS headers (`Access-Control-Allow-Origin` only for an allowed origin, always with credentials,
 * since session cookies ride along) and Appwrite's CSRF check, which refuses a request whose
 * `Origin` is not allowed with 403 `general_unknown_origin` unless it carries an API key
 * (`app/controllers/general.php`, `src/Appwrite/Network/Cors.php`, `Validator/Origin.php`).
 *
 * Appwrite matches a platform by hostname alone, every port included; the double matches scheme,
 * host and port, with `:*` for every port, which is narrower and says what a developer means.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { AppwriteError } from './errors.js';

/** An allowed origin: scheme and host exactly, the port exactly (`''` for the default) or any. */
export interface OriginPattern {
  scheme: string;
  host: string;
  port: string | '*';
}

/**
 * Parses `scheme://host[:port]` or `scheme://host:*`; throws a `TypeError` naming the entry for
 * anything else (a path, a missing scheme, a wildcard host).
 *
 * @example
 * ```ts
 * parseOriginPattern('http://localhost:*'); // { scheme: 'http', host: 'localhost', port: '*' }
 * parseOriginPattern('app.example');        // throws TypeError
 * ```
 */
export function parseOriginPattern(text: string): OriginPattern {
  const anyPort = text.endsWith(':*');
  const url = bareOrigin(anyPort ? text.slice(0, -2) : text);
  if (!url || (anyPort && url.port !== '')) {
    throw new TypeError(`"${text}" is not an origin: write scheme://host, scheme://host:port or scheme://host:*.`);
  }
  return { scheme: url.protocol.slice(0, -1), host: url.hostname, port: anyPort ? '*' : url.port };
}

/**
 * Whether a request's `Origin` header is one of the allowed origins.
 *
 * @example
 * ```ts
 * originAllowed('http://localhost:5173', [parseOriginPattern('http://localhost:*')]); // true
 * originAllowed('http://evil.example', [parseOriginPattern('http://localhost:*')]);   // false
 * ```
 */
export function originAllowed(origin: string, patterns: readonly OriginPattern[]): boolean {
  const url = bareOrigin(origin);
  if (!url) return false;
  const scheme = url.protocol.slice(0, -1);
  return patterns.some((pattern) => pattern.scheme === scheme && pattern.host === url.hostname && (pattern.port === '*' || pattern.port === url.port));
}

/**
 * The middleware pair that enforces the list on the double's routes: CORS, then Appwrite's
 * unknown-origin refusal for requests without an API key.
 *
 * @example
 * ```ts
 * app.use('/v1/*', ...platformsPolicy(['http://localhost:*'].map(parseOriginPattern)));
 * ```
 */
export function platformsPolicy(patterns: readonly OriginPattern[]): MiddlewareHandler[] {
  return [
    cors({
      origin: (origin) => (originAllowed(origin, patterns) ? origin : null),
      credentials: true,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      exposeHeaders: ['X-Fallback-Cookies', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    }),
    async (c, next) => {
      const origin = c.req.header('origin');
      // A key marks a server-side caller, which a browser page cannot be without leaking the key.
      if (origin && !c.req.header('x-appwrite-key') && !originAllowed(origin, patterns)) {
        throw new AppwriteError('general_unknown_origin', unknownOriginMessage(origin));
      }
      await next();
    },
  ];
}

/** Appwrite's `Origin` validator description for a refused origin. */
function unknownOriginMessage(origin: string): string {
  const url = parseUrl(origin);
  if (!url) return 'Invalid Origin.';
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') {
    return `Invalid Scheme. The scheme used (${scheme}) in the Origin (${origin}) is not supported. If you are using a custom scheme, please change it to \`appwrite-callback-<PROJECT_ID>\``;
  }
  return `Invalid Origin. Register your new client (${url.hostname}) as a new Web platform on your project console dashboard`;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The URL when `text` is an origin and nothing more (no path, query, fragment or credentials). */
function bareOrigin(text: string): URL | null {
  const url = parseUrl(text);
  // `origin` is 'null' for schemes that have none (`data:`, `file:`, ...).
  if (!url || url.origin === 'null' || url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
  return url;
}
