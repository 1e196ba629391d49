/**
 * Serves several kit functions from one app, each under `/<name>`, plus `GET /health`.
 * Used by the local Node server and the Worker; Appwrite deploys each function on its own.
 *
 * @module
 */
import type { Hono } from 'hono';
import { ConfigError, type EnvSource } from '../config.js';
import { corsPolicy } from '../cors.js';
import { errorResponse } from '../errors.js';
import { createFunctionApp, type KitEnv } from '../http.js';
import type { KitFunction, RuntimeServices } from '../platform.js';

/**
 * Builds one function's app from the environment. A configuration error does not throw: the
 * function answers every request with 500 `config_invalid` and logs which variables are wrong,
 * so one misconfigured function cannot take the others down.
 *
 * @example
 * ```ts
 * const app = buildFunctionApp(passwordFunction, process.env, runtime);
 * ```
 */
export function buildFunctionApp(fn: KitFunction, env: EnvSource, runtime: RuntimeServices): Hono<KitEnv> {
  try {
    return fn.build(env, runtime);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    runtime.logger.error('config_invalid', { function: fn.name, problems: error.problems.join('; ') });
    const broken = createFunctionApp({ logger: runtime.logger });
    broken.all('*', () => errorResponse(error.toKitError()));
    return broken;
  }
}

/**
 * Mounts every function under its name and adds `GET /health`, readable from any web page (CORS
 * `*`, no credentials: it holds nothing private). What the root answers itself (a 404 for a path no
 * function serves, a 405 on `/health`) is readable from any page too, so a browser calling a function
 * this server does not have sees that 404, not a CORS failure; under `/<name>` every answer carries
 * that function's own CORS headers.
 *
 * @example
 * ```ts
 * const app = mountFunctions(kitFunctions, process.env, runtime);
 * // POST /password/login, GET /health
 * ```
 */
export function mountFunctions(functions: readonly KitFunction[], env: EnvSource, runtime: RuntimeServices): Hono<KitEnv> {
  // No CORS and no body limit here: root middleware runs before a function's own, so a limit here
  // would answer 413 before the function's CORS (and cap a function that allows more). Each function
  // applies both itself, its CORS from its own CORS_ALLOWED_ORIGINS.
  const root = createFunctionApp({ logger: runtime.logger, corsOrigins: null, maxBodyBytes: null });
  for (const fn of functions) root.route(`/${fn.name}`, buildFunctionApp(fn, env, runtime));
  const servedByFunction = (path: string) => functions.some((fn) => path === `/${fn.name}` || path.startsWith(`/${fn.name}/`));
  // /health is read-only; elsewhere a preflight for the functions' methods passes, so their 404 is read.
  const health = corsPolicy(['*'], ['GET', 'HEAD']);
  const elsewhere = corsPolicy(['*'], ['POST', 'GET', 'HEAD']);
  root.use((c, next) => (servedByFunction(c.req.path) ? next() : (c.req.path === '/health' ? health : elsewhere)(c, next)));
  // Built after the functions, so it lists what their ports said while building (development providers).
  const notices = 'notices' in runtime ? (runtime.notices as readonly string[]) : [];
  root.get('/health', (c) =>
    c.json({ status: 'ok', functions: functions.map((fn) => fn.name), ...(notices.length > 0 ? { notices } : {}) }),
  );
  return root;
}
