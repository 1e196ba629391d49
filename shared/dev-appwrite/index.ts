/**
 * The embedded Appwrite: an in-memory imitation of the part of the Appwrite 1.9.x REST API the kit
 * uses (Users, custom tokens, token sessions, account, TablesDB rows, Messaging), faithful enough
 * that the real `node-appwrite` and `appwrite` SDKs work against it unchanged. Messages it is asked
 * to send land in `store.outbox` instead of a mailbox or phone.
 *
 * **A development double, never for production.** It keeps everything in memory, serves a single
 * project, and exists so tests, the local `npm start` server and the Workers tests have an
 * Appwrite without Docker or a network. Do not expose it, and do not store real users in it.
 *
 * Served beside the kit on one port, it is no softer than Appwrite: request bodies are capped as
 * Appwrite's server caps them, table permissions hold (the kit's tables are API-key only), abuse
 * counters count the socket's address and stay bounded, and only configured browser origins get
 * CORS (`corsOrigins`, like a project's platforms).
 *
 * Its routes live under `/v1/...`, so mounting the app at the root makes `http://host/v1` the
 * endpoint to give the SDKs.
 *
 * @module
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { systemClock } from '../clock.js';
import { DEFAULT_MAX_ABUSE_COUNTERS } from './abuse.js';
import { registerAccountRoutes } from './account.js';
import { registerJwtRoutes } from './jwts.js';
import type { DevAppwriteContext, DevAppwriteOptions, DevEnv, PasswordPolicies, RouteModule } from './context.js';
import { AppwriteError } from './errors.js';
import { registerMessagingRoutes } from './messaging.js';
import { parseOriginPattern, platformsPolicy } from './origins.js';
import { appwritePasswordHashOptions } from './passwords.js';
import { DevAppwriteStore } from './store.js';
import { kitTables, registerTablesDbRoutes } from './tablesdb.js';
import { registerTokenRoutes } from './tokens.js';
import { registerUserRoutes } from './users.js';

export type { Caller, DevAppwriteContext, DevAppwriteOptions, DevEnv, PasswordHashOptions, PasswordPolicies, RequestAuth, RouteModule } from './context.js';
export { DEFAULT_MAX_ABUSE_COUNTERS } from './abuse.js';
export { APPWRITE_VERSION, AppwriteError, type AppwriteErrorBody, type AppwriteErrorType } from './errors.js';
export { originAllowed, parseOriginPattern, type OriginPattern } from './origins.js';
export { appwritePasswordHashOptions } from './passwords.js';
export { Outbox, OUTBOX_LIMIT, type OutboxEntry } from './outbox.js';
export { DevAppwriteStore, type MessageRecord, type MessageStatus } from './store.js';
export { kitTables, type DoubleColumnSpec, type DoubleDatabaseSpec, type DoubleTableSpec } from './tablesdb.js';

/**
 * The largest request body Appwrite's HTTP server accepts: Swoole's `package_max_length`, 12 MiB
 * (`app/http.php`, `$payloadSize`). Swoole refuses a larger one with a bare 413 (no body, no CORS)
 * before Appwrite's code runs; file uploads stay under it by arriving in 5 MiB chunks.
 *
 * @example
 * ```ts
 * if (body.byteLength > APPWRITE_MAX_BODY_BYTES) throw new Error('Appwrite would answer 413.');
 * ```
 */
export const APPWRITE_MAX_BODY_BYTES = 12 * 1024 * 1024;

/** Appwrite's `APP_LIMIT_USER_PASSWORD_HISTORY`: the longest password history a project may keep. */
const MAX_PASSWORD_HISTORY = 20;

/** Every route module of the double. Adding an API is one more entry here. */
const routeModules: readonly RouteModule[] = [
  registerUserRoutes,
  registerTokenRoutes,
  registerAccountRoutes,
  registerJwtRoutes,
  registerTablesDbRoutes,
  registerMessagingRoutes,
];

/** What `createDevAppwrite` returns. */
export interface DevAppwrite {
  /** The Hono app; its routes answer under `/v1`. */
  app: Hono<DevEnv>;
  /** Its state, for tests to inspect or clear; `store.outbox` holds the emails and SMS it "sent". */
  store: DevAppwriteStore;
}

/**
 * Creates an embedded Appwrite serving one project.
 *
 * @example
 * ```ts
 * const { app, store } = createDevAppwrite({
 *   projectId: 'kit',
 *   apiKeys: { 'dev-key': ['users.read', 'users.write'] },
 *   corsOrigins: ['http://localhost:*'], // a dev page on any localhost port may call it from a browser
 * });
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }); // endpoint: http://127.0.0.1:<port>/v1
 * ```
 */
export function createDevAppwrite(options: DevAppwriteOptions): DevAppwrite {
  const store = new DevAppwriteStore();
  const origins = (options.corsOrigins ?? []).map(parseOriginPattern);
  const ctx: DevAppwriteContext = {
    projectId: options.projectId,
    apiKeys: new Map(Object.entries(options.apiKeys)),
    clock: options.clock ?? systemClock,
    passwordHashOptions: options.passwordHashOptions ?? appwritePasswordHashOptions,
    passwordPolicies: passwordPolicies(options.passwordPolicies ?? {}),
    trustedHeaders: (options.trustedHeaders ?? []).map((name) => name.trim().toLowerCase()).filter(Boolean),
    maxAbuseCounters: options.maxAbuseCounters ?? DEFAULT_MAX_ABUSE_COUNTERS,
    tables: options.tables ?? kitTables,
    store,
  };

  const app = new Hono<DevEnv>();
  // First, as Swoole checks the size before Appwrite sees the request. A declared length is refused
  // unread; a chunked body is read only up to the limit.
  app.use('/v1/*', bodyLimit({ maxSize: APPWRITE_MAX_BODY_BYTES, onError: () => new Response(null, { status: 413 }) }));
  // Scoped to /v1 so that, mounted beside the kit's functions, it leaves their CORS policy alone.
  app.use('/v1/*', ...platformsPolicy(origins));
  for (const register of routeModules) register(app, ctx);

  // An explicit catch-all as well as notFound: a parent app mounting this one keeps its own notFound.
  const routeNotFound = () => new AppwriteError('general_route_not_found').toResponse();
  app.all('/v1/*', routeNotFound);
  app.notFound(routeNotFound);
  app.onError((error, c) => {
    // Through `c.json` so headers set before the throw (X-RateLimit-*) reach the client too.
    if (error instanceof AppwriteError) return c.json(error.toBody(), error.code as ContentfulStatusCode, error.headers);
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(new AppwriteError('general_argument_invalid', error.message || undefined).toBody(), 400);
    }
    console.error(`dev_appwrite_unhandled_error name=${error.name}`);
    return c.json(new AppwriteError('general_unknown').toBody(), 500);
  });
  return { app, store };
}

function passwordPolicies(policies: PasswordPolicies): DevAppwriteContext['passwordPolicies'] {
  const history = policies.passwordHistory ?? 0;
  if (!Number.isInteger(history) || history < 0 || history > MAX_PASSWORD_HISTORY) {
    throw new TypeError(`passwordHistory must be an integer from 0 to ${MAX_PASSWORD_HISTORY}.`);
  }
  return {
    passwordHistory: history,
    personalDataCheck: policies.personalDataCheck ?? false,
    passwordDictionary: new Set(policies.passwordDictionary ?? []),
  };
}
