/**
 * Stands in for `undici` in the Worker bundle (`[alias]` in `wrangler.toml`).
 *
 * node-appwrite 27 imports `Agent`, `FormData`, `File` and `fetch` from `undici`. Bundled as is,
 * undici adds ~800 KB and sends requests over raw `node:net` sockets, which Workers limit (no
 * sockets to Cloudflare IPs, none shared across requests). The platform's own `fetch` and form
 * types do the same job, so this module hands those over instead.
 *
 * @module
 */

/**
 * The platform `fetch`, looked up per call so a test that replaces `globalThis.fetch` is honoured.
 *
 * @example
 * ```ts
 * const response = await fetch(new URL('http://127.0.0.1:8080/v1/health'), { method: 'GET' });
 * ```
 */
export const fetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init);

/**
 * The platform `FormData` (node-appwrite uses it for file uploads).
 *
 * @example
 * ```ts
 * const form = new FormData();
 * ```
 */
export const FormData = globalThis.FormData;

/**
 * The platform `File`.
 *
 * @example
 * ```ts
 * const file = new File(['hello'], 'hello.txt');
 * ```
 */
export const File = globalThis.File;

/**
 * undici's connection pool. node-appwrite builds one only for `client.setSelfSigned(true)`,
 * to skip certificate checks; Workers offer no way to do that, so it fails loudly.
 *
 * @example
 * ```ts
 * new Agent({ connect: { rejectUnauthorized: false } }); // throws
 * ```
 */
export class Agent {
  constructor() {
    throw new Error(
      'undici Agent is not available on Cloudflare Workers: client.setSelfSigned() is unsupported there. ' +
        'Serve Appwrite with a certificate Workers trust.',
    );
  }
}
