/**
 * The Cloudflare Workers runtime: one Worker serves every kit function under `/<name>`, plus
 * `GET /health`. Deployed with `wrangler deploy` (see `wrangler.toml`).
 *
 * @module
 */
import type { ExecutionContext, Hono } from 'hono';
import { kitFunctions } from '../../functions/index.js';
import { createAppwriteUsers } from '../appwrite/users.js';
import { appwriteConnectionSchema, ConfigError, parseConfig, type EnvSource } from '../config.js';
import type { KitEnv } from '../http.js';
import { createLogger, type Logger } from '../log.js';
import { ConcurrencyLimit, limitVerifier } from '../passwords/verifier.js';
import { workerdArgon2Verifier } from '../passwords/wasm-argon2-workerd.js';
import { systemClock } from '../clock.js';
import type { Platform } from '../platform.js';
import { createDurableObjectStore, type CounterNamespace } from '../rate-limit/durable-object-store.js';
import type { UsersDirectory } from '../users.js';
import { mountFunctions } from './mount.js';

/** The Worker's bindings: `[vars]`, secrets and, later, other bindings (which are not strings). */
export type WorkerEnv = Readonly<Record<string, unknown>>;

// workerd treats every value export of the main module as an entrypoint: only `default` and
// Durable Object classes may be exported from this file.

/**
 * How many logins may wait for the argon2 slot before the Worker answers 503 `server_busy`.
 * One verification at Appwrite's parameters takes 0.25-0.5 s, so the last in line waits 4-8 s.
 */
const ARGON2_MAX_QUEUE = 16;

// Looked up per line, not captured once, so whatever `console` is at the time (a test spy) gets it.
const logger = createLogger(
  (line) => console.log(line),
  (line) => console.error(line),
);

// argon2id at Appwrite's parameters holds 64 MiB of Wasm memory, and the isolate's 128 MB is shared
// by every request in flight: one verification at a time, whatever the number of requests.
const passwordVerifier = limitVerifier(workerdArgon2Verifier, new ConcurrencyLimit(1, ARGON2_MAX_QUEUE));

/** Only the string bindings are environment variables; the rest are objects functions must not parse. */
function variablesOf(env: WorkerEnv): EnvSource {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') variables[name] = value;
  return variables;
}

/** A directory that fails every call with the configuration error, so each request gets a 500 `config_invalid`. */
function unconfiguredUsers(error: ConfigError): UsersDirectory {
  const fail = () => Promise.reject(error);
  return { get: fail, create: fail, updatePassword: fail, deleteSessions: fail, createToken: fail };
}

/** The Appwrite users directory, or one that answers `config_invalid` when an `APPWRITE_*` variable is wrong. */
function createUsers(variables: EnvSource, log: Logger): UsersDirectory {
  try {
    return createAppwriteUsers(parseConfig(appwriteConnectionSchema, variables), log);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.error('config_invalid', { component: 'appwrite', problems: error.problems.join('; ') });
    return unconfiguredUsers(error);
  }
}

/**
 * The ports every function receives on Workers. One place to add a port, such as a rate-limit store
 * backed by a Durable Object binding in `env`.
 *
 * @example
 * ```ts
 * const platform = createWorkerPlatform(env);
 * ```
 */
function createWorkerPlatform(env: WorkerEnv): Platform {
  return {
    logger,
    clock: systemClock,
    users: createUsers(variablesOf(env), logger),
    passwordVerifier,
    // Exact across every instance: one Durable Object per counter. Missing binding → 503, never open.
    rateLimitStore: createDurableObjectStore(env['RATE_LIMITER'] as CounterNamespace, { logger }),
  };
}

// Built once per isolate and environment, not per request: parsing config and creating clients is
// work every request would otherwise repeat. Keyed weakly so a replaced `env` frees the old app.
const apps = new WeakMap<object, Hono<KitEnv>>();

function appFor(env: WorkerEnv): Hono<KitEnv> {
  let app = apps.get(env);
  if (!app) {
    app = mountFunctions(kitFunctions, variablesOf(env), createWorkerPlatform(env));
    apps.set(env, app);
  }
  return app;
}

/**
 * The Worker. The client IP comes from `CF-Connecting-IP`, which Cloudflare's edge sets on every
 * request and overwrites when a client sends its own.
 *
 * @example
 * ```ts
 * const response = await worker.fetch(new Request('https://kit.example/health'), env, ctx);
 * ```
 */
const worker = {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(env).fetch(request, { clientIp: request.headers.get('cf-connecting-ip') }, ctx);
  },
};

export default worker;

/** The Durable Object class behind `RATE_LIMITER` (see `wrangler.toml`). */
export { RateLimitCounter } from '../rate-limit/durable-object.js';
