/**
 * A Worker with the password function only: the same Worker as `entries/worker.ts`, but a bundle
 * with none of the other functions' dependencies (WebAuthn, libphonenumber, OIDC). Deploy it with
 * `npx wrangler deploy entries/worker-password.ts`; wrangler.toml applies unchanged.
 *
 * For another subset, copy this file and list the functions you want: what a Worker bundles is
 * exactly what its entry imports, so import each function from its own folder, never the registry
 * (`functions/index.ts` imports them all).
 *
 * @example
 * ```sh
 * npx wrangler deploy entries/worker-password.ts
 * npx wrangler dev entries/worker-password.ts
 * ```
 *
 * @module
 */
import { passwordFunction } from '../functions/password/index.js';
import { createWorker } from '../shared/runtime/workers.js';

export default createWorker([passwordFunction]);

// wrangler.toml binds both classes, so both are exported even where no function uses one: a
// binding without its class fails the deploy. Neither costs anything until a request reaches it.

/** The Durable Object behind `RATE_LIMITER`. */
export { RateLimitCounter } from '../shared/rate-limit/durable-object.js';

/** The Durable Object behind `ONCE_STORE`. */
export { OnceRecord } from '../shared/once/durable-object.js';
