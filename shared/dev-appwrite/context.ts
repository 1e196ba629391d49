/**
 * The types every module of the embedded Appwrite double shares: its options, the context handed
 * to route modules, who is calling, and the Hono environment of its app.
 *
 * @module
 */
import type { Hono } from 'hono';
import type { Clock } from '../clock.js';
import type { DevAppwriteStore, SessionRecord, UserRecord } from './store.js';
import type { DoubleDatabaseSpec, DoubleTableSpec } from './tablesdb.js';

/** argon2id cost parameters for hashing plaintext passwords. */
export interface PasswordHashOptions {
  /** KiB of memory. Appwrite: 65536. */
  memoryCost: number;
  /** Passes. Appwrite: 4. */
  timeCost: number;
  /** Lanes (PHP's `threads`). Appwrite: 3. */
  parallelism: number;
}

/**
 * A project's password policies (Appwrite's `auths` settings, set in the console), applied by
 * `users.create` and `users.updatePassword`. Appwrite enables none by default, nor does the double.
 */
export interface PasswordPolicies {
  /** Refuse the user's last n passwords, 0 to 20 (0: off): 400 `password_recently_used`. */
  passwordHistory?: number;
  /** Refuse passwords containing the user's ID, name, email, email local part or phone: 400 `password_personal_data`. */
  personalDataCheck?: boolean;
  /**
   * Refuse exactly these passwords, as Appwrite refuses the 10,000 common ones it bundles: 400
   * `general_argument_invalid` on the `password` parameter.
   */
  passwordDictionary?: readonly string[];
}

/** Options of `createDevAppwrite`. */
export interface DevAppwriteOptions {
  /** The one project the double serves; requests naming another get 404 `project_not_found`. */
  projectId: string;
  /** API key secret → its scopes, e.g. `{ 'dev-key': ['users.read', 'users.write'] }`. */
  apiKeys: Record<string, string[]>;
  /** Drives token expiry, session expiry and abuse windows. Default: the wall clock. */
  clock?: Clock;
  /** argon2id costs. Default: Appwrite's (65536 KiB, 4 passes, 3 lanes). Tests pass cheaper ones. */
  passwordHashOptions?: PasswordHashOptions;
  /** The project's password policies. Default: none, as in a new Appwrite project. */
  passwordPolicies?: PasswordPolicies;
  /**
   * Browser origins allowed to call it, like an Appwrite project's platforms: `scheme://host[:port]`,
   * or `scheme://host:*` for every port. Others get no `Access-Control-Allow-Origin`, and their
   * requests without an API key 403 `general_unknown_origin`. Default: none.
   */
  corsOrigins?: readonly string[];
  /**
   * Headers to take the client's address from, first valid one wins (Appwrite's
   * `_APP_TRUSTED_HEADERS`, which trusts `x-forwarded-for` behind its own proxy). Default: none, the
   * socket's address: with no proxy in front of the double, any client could write these headers.
   */
  trustedHeaders?: readonly string[];
  /** Most abuse counters kept at once (see `abuse.ts`). Default: `DEFAULT_MAX_ABUSE_COUNTERS`. */
  maxAbuseCounters?: number;
  /** The TablesDB databases and tables it serves, as `appwrite.json` declares them. Default: the kit's own. */
  tables?: { databases: readonly DoubleDatabaseSpec[]; tables: readonly DoubleTableSpec[] };
}

/** Who is calling, after the project's key or the request's session was checked. */
export type Caller =
  | { kind: 'key'; keyScopes: readonly string[] }
  | { kind: 'user'; user: UserRecord; session: SessionRecord; sessionSecret: string }
  | { kind: 'guest' };

/** What the auth guard resolved for a request. */
export interface RequestAuth {
  /** `console` when the request named no project: Appwrite then falls back to its console project. */
  project: 'project' | 'console';
  caller: Caller;
  /** Appwrite's role: `apps` for keys, `users` for sessions, `guests` otherwise. */
  role: 'apps' | 'users' | 'guests';
  scopes: ReadonlySet<string>;
  /** The client's IP as Appwrite would see it: from a trusted header if configured, else the socket. */
  ip: string;
}

/** The Hono environment of the double's app and of every route module. */
export interface DevEnv {
  Variables: { auth: RequestAuth };
}

/** What route modules receive. */
export interface DevAppwriteContext {
  projectId: string;
  /** Key secret → scopes. */
  apiKeys: ReadonlyMap<string, readonly string[]>;
  clock: Clock;
  passwordHashOptions: PasswordHashOptions;
  passwordPolicies: { passwordHistory: number; personalDataCheck: boolean; passwordDictionary: ReadonlySet<string> };
  /** Lower-case header names, in the order they are tried. */
  trustedHeaders: readonly string[];
  maxAbuseCounters: number;
  tables: { databases: readonly DoubleDatabaseSpec[]; tables: readonly DoubleTableSpec[] };
  store: DevAppwriteStore;
}

/**
 * A route module: adds its routes (all under `/v1/...`) to the double's app. Registering one is a
 * single entry in the `routeModules` list of `index.ts`.
 *
 * @example
 * ```ts
 * export const registerHealthRoutes: RouteModule = (app) => {
 *   app.get('/v1/health/version', (c) => c.json({ version: APPWRITE_VERSION }));
 * };
 * ```
 */
export type RouteModule = (app: Hono<DevEnv>, ctx: DevAppwriteContext) => void;
