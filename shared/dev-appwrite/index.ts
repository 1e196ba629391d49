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
 * Its routes live under `/v1/...`, so mounting the app at the root makes `http://host/v1` the
 * endpoint to give the SDKs.
 *
 * @module
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { systemClock } from '../clock.js';
import { registerAccountRoutes } from './account.js';
import type { DevAppwriteContext, DevAppwriteOptions, DevEnv, PasswordPolicies, RouteModule } from './context.js';
import { AppwriteError } from './errors.js';
import { registerMessagingRoutes } from './messaging.js';
import { appwritePasswordHashOptions } from './passwords.js';
import { DevAppwriteStore } from './store.js';
import { registerTablesDbRoutes } from './tablesdb.js';
import { registerTokenRoutes } from './tokens.js';
import { registerUserRoutes } from './users.js';

export type { Caller, DevAppwriteContext, DevAppwriteOptions, DevEnv, PasswordHashOptions, PasswordPolicies, RequestAuth, RouteModule } from './context.js';
export { APPWRITE_VERSION, AppwriteError, type AppwriteErrorBody, type AppwriteErrorType } from './errors.js';
export { appwritePasswordHashOptions } from './passwords.js';
export { Outbox, OUTBOX_LIMIT, type OutboxEntry } from './outbox.js';
export { DevAppwriteStore, type MessageRecord, type MessageStatus } from './store.js';

/** Appwrite's `APP_LIMIT_USER_PASSWORD_HISTORY`: the longest password history a project may keep. */
const MAX_PASSWORD_HISTORY = 20;

/** Every route module of the double. Adding an API is one more entry here. */
const routeModules: readonly RouteModule[] = [
  registerUserRoutes,
  registerTokenRoutes,
  registerAccountRoutes,
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
 * const { app, store } = createDevAppwrite({ projectId: 'kit', apiKeys: { 'dev-key': ['users.read', 'users.write'] } });
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }); // endpoint: http://127.0.0.1:<port>/v1
 * ```
 */
export function createDevAppwrite(options: DevAppwriteOptions): DevAppwrite {
  const store = new DevAppwriteStore();
  const ctx: DevAppwriteContext = {
    projectId: options.projectId,
    apiKeys: new Map(Object.entries(options.apiKeys)),
    clock: options.clock ?? systemClock,
    passwordHashOptions: options.passwordHashOptions ?? appwritePasswordHashOptions,
    passwordPolicies: passwordPolicies(options.passwordPolicies ?? {}),
    store,
  };

  const app = new Hono<DevEnv>();
  // Browsers on other origins (a dev page on another port) must see the session header and send cookies.
  // Scoped to /v1 so that, mounted beside the kit's functions, it leaves their CORS policy alone.
  app.use(
    '/v1/*',
    cors({
      origin: (origin) => origin || '*',
      credentials: true,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      exposeHeaders: ['X-Fallback-Cookies', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    }),
  );
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
