/**
 * The Cloudflare Workers runtime: one Worker serves every kit function it is given under `/<name>`,
 * plus `GET /health`. The entry `entries/worker.ts` hands it the function list; `wrangler.toml`
 * names that entry.
 *
 * @module
 */
import type { ExecutionContext, Hono } from 'hono';
import { systemClock } from '../clock.js';
import { appwriteConnectionSchema, parseConfig, type EnvSource } from '../config.js';
import type { KitEnv } from '../http.js';
import { createLogger } from '../log.js';
import { createDurableObjectOnceStore, type OnceRecordNamespace } from '../once/durable-object-store.js';
import type { KitFunction, RuntimeServices } from '../platform.js';
import { createDurableObjectStore, type CounterNamespace } from '../rate-limit/durable-object-store.js';
import { mountFunctions } from './mount.js';
import { createRuntimeServices } from './services.js';

/** The Worker's bindings: `[vars]`, secrets and Durable Object namespaces (which are not strings). */
export type WorkerEnv = Readonly<Record<string, unknown>>;

// Looked up per line, not captured once, so whatever `console` is at the time (a test spy) gets it.
const logger = createLogger(
  (line) => console.log(line),
  (line) => console.error(line),
);

/** Only the string bindings are environment variables; the rest are objects functions must not parse. */
function variablesOf(env: WorkerEnv): EnvSource {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') variables[name] = value;
  return variables;
}

/** The services on Workers: each built only when a function's port asks for it. */
function createWorkerServices(env: WorkerEnv): RuntimeServices {
  const variables = variablesOf(env);
  return createRuntimeServices({
    kind: 'workers',
    env: variables,
    logger,
    clock: systemClock,
    // A bad APPWRITE_* variable throws a ConfigError here: the functions that need Appwrite answer
    // 500 config_invalid and log which variable, the others keep working.
    appwrite: () => parseConfig(appwriteConnectionSchema, variables),
    // Exact across every instance: one Durable Object per counter or record. A missing binding
    // fails closed (503) at the first use, never open.
    rateLimitStore: () => createDurableObjectStore(env['RATE_LIMITER'] as CounterNamespace, { logger }),
    onceStore: () => createDurableObjectOnceStore(env['ONCE_STORE'] as OnceRecordNamespace, { logger }),
  });
}

/** The default export a Worker module needs. */
export interface KitWorker {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response>;
}

/**
 * Creates the Worker for a list of functions. The client IP comes from `CF-Connecting-IP`, which
 * Cloudflare's edge sets on every request and overwrites when a client sends its own.
 *
 * @example
 * ```ts
 * // entries/worker.ts
 * export default createWorker(kitFunctions);
 * export { RateLimitCounter } from '../shared/rate-limit/durable-object.js';
 * ```
 */
export function createWorker(functions: readonly KitFunction[]): KitWorker {
  // Built once per isolate and environment, not per request: parsing config and creating clients is
  // work every request would otherwise repeat. Keyed weakly so a replaced `env` frees the old app.
  const apps = new WeakMap<object, Hono<KitEnv>>();
  const appFor = (env: WorkerEnv) => {
    let app = apps.get(env);
    if (!app) {
      app = mountFunctions(functions, variablesOf(env), createWorkerServices(env));
      apps.set(env, app);
    }
    return app;
  };
  return {
    fetch: (request, env, ctx) => appFor(env).fetch(request, { clientIp: request.headers.get('cf-connecting-ip') }, ctx),
  };
}
