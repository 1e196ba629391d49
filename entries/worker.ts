/**
 * The Cloudflare Worker: every function in `functions/index.ts`, under `/<name>`
 * (`main` in wrangler.toml).
 *
 * workerd treats every value export of the main module as an entrypoint: only `default` and the
 * Durable Object classes bound in wrangler.toml are exported here.
 *
 * @module
 */
import { kitFunctions } from '../functions/index.js';
import { createWorker } from '../shared/runtime/workers.js';

export default createWorker(kitFunctions);

/** The Durable Object behind `RATE_LIMITER`. */
export { RateLimitCounter } from '../shared/rate-limit/durable-object.js';

/** The Durable Object behind `ONCE_STORE`. */
export { OnceRecord } from '../shared/once/durable-object.js';
