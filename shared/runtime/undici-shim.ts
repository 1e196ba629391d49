/**
 * Stands in for `undici` in the Worker bundle (`[alias]` in `wrangler.toml`) and in the Appwrite
 * Functions bundles (`scripts/build-appwrite.mjs`).
 *
 * node-appwrite 27 imports `Agent`, `FormData`, `File` and `fetch` from `undici`. Bundled as is,
 * undici adds ~800 KB, which every cold start parses, and on Workers sends requests over raw
 * `node:net` sockets, which Workers limit (no sockets to Cloudflare IPs, none shared across
 * requests). The platform's own `fetch` and form types do the same job (Node 22's `fetch` is
 * undici itself), so this module hands those over instead.
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
 * The platform `FormData`, looked up when one is made (node-appwrite makes one only to upload a
 * file). Reading `globalThis.FormData` on Node loads Node's whole fetch implementation, tens of
 * milliseconds that a cold start which never uploads should not pay at import.
 *
 * @example
 * ```ts
 * const form = new FormData();
 * ```
 */
export const FormData = function FormData(...args: ConstructorParameters<typeof globalThis.FormData>) {
  return new globalThis.FormData(...args);
} as unknown as typeof globalThis.FormData;

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
 * undici's connection pool. node-appwrite builds one only for `client.setSelfSigned(true)`, to
 * skip certificate checks, which the kit never asks for (and Workers offer no way to do): it fails loudly.
 *
 * @example
 * ```ts
 * new Agent({ connect: { rejectUnauthorized: false } }); // throws
 * ```
 */
export class Agent {
  constructor() {
    throw new Error(
      'undici Agent is not available on Cloudflare Workers nor in the Appwrite Functions bundles: client.setSelfSigned() is unsupported there. ' +
        'Serve Appwrite with a certificate the runtime trusts.',
    );
  }
}
