/**
 * What a kit function is, and how it gets its ports.
 *
 * A function is a factory: validated config plus ports in, Hono app out. It names the ports it
 * needs as providers (`shared/ports.ts`); a runtime offers {@link RuntimeServices}, and only the
 * providers a function names are ever built. So a function that asks for no argon2 never loads it,
 * on any runtime, and its Appwrite bundle does not even contain it.
 *
 * @module
 */
import type { Hono } from 'hono';
import type { z } from 'zod';
import type { AppwriteTableSpec } from './appwrite/table-spec.js';
import type { Clock } from './clock.js';
import { parseConfig, type AppwriteConnection, type EnvSource } from './config.js';
import { defineErrors, type ErrorCatalog } from './errors.js';
import type { KitEnv } from './http.js';
import type { OutboxEntry } from './dev-appwrite/outbox.js';
import type { Logger } from './log.js';
import type { OnceStore } from './once/store.js';
import type { RateLimitStore } from './rate-limit/store.js';
import type { RouteTable } from './routes.js';

/** Which runtime hosts the function. Ports read it for defaults (argon2 concurrency), never functions. */
export type RuntimeKind = 'node' | 'workers' | 'appwrite';

/**
 * What every runtime offers. The methods build on first call; a runtime never builds what no
 * function asked for (a missing Durable Object binding only matters to a function that counts).
 */
export interface RuntimeServices {
  kind: RuntimeKind;
  /**
   * `true` only for `npm start` with the embedded Appwrite: development-only providers (the
   * captcha that accepts a fixed token) refuse to run anywhere else.
   */
  development: boolean;
  /**
   * Says something an operator must see, loudly: logged at once as a warning and listed by
   * `GET /health` (e.g. "captcha: development provider").
   */
  notice(message: string): void;
  /** The environment variables (strings only). */
  env: EnvSource;
  logger: Logger;
  clock: Clock;
  /** Where Appwrite is. Throws a `ConfigError` naming the variables at fault. */
  appwrite(): AppwriteConnection;
  /** Attempt counters shared by every instance of the deployment (memory, Durable Object or Appwrite table). */
  rateLimitStore(): RateLimitStore;
  /** Set-if-absent records shared by every instance (memory, Durable Object or Appwrite table). */
  onceStore(): OnceStore;
  /**
   * The embedded Appwrite's development outbox (`GET /_dev/outbox`), only where `development` is
   * true: development providers that "send" something Appwrite Messaging does not (a voice call)
   * record it here, so a developer reads every code in one place.
   */
  developmentOutbox?: { record(entry: OutboxEntry): void } | undefined;
  /** The platform `fetch`, for calls to vendors. Wrap it with a deadline (`fetchPort` does). */
  fetch: typeof globalThis.fetch;
  /**
   * Aborted once the request these services serve is abandoned: its answer went out without this
   * work (`shared/deadline.ts`). Ports that call out pass it on, so no call starts after it. Only
   * Appwrite Functions sets it: it builds services per execution and aborts it at
   * `REQUEST_TIMEOUT_MS`. Node and Workers build services once per process or isolate and have no
   * whole-request deadline today, so it is `undefined` there (the sign-in pipeline still reads the
   * request's own signal).
   */
  signal?: AbortSignal | undefined;
}

/** Builds one port from what the runtime offers. */
export interface PortProvider<Port> {
  create(runtime: RuntimeServices): Port;
  /** The Appwrite API key scopes the port needs on Appwrite Functions (`scopes` in appwrite.json). */
  appwriteScopes: readonly string[];
}

/**
 * Declares a port provider, with the Appwrite scopes it needs there.
 *
 * @example
 * ```ts
 * export const usersPort = definePort((runtime) => createAppwriteUsers(runtime.appwrite(), runtime.logger), ['users.read', 'users.write']);
 * ```
 */
export function definePort<Port>(create: (runtime: RuntimeServices) => Port, appwriteScopes: readonly string[] = []): PortProvider<Port> {
  return { create, appwriteScopes };
}

/** The providers a function asks for, by the name its app will use. */
export type PortProviders = Record<string, PortProvider<unknown>>;

/** The ports built from a set of providers, plus the logger and clock every function gets. */
export type Ports<Providers extends PortProviders> = {
  [Name in keyof Providers]: Providers[Name] extends PortProvider<infer Port> ? Port : never;
} & { logger: Logger; clock: Clock };

/** How a function is declared: see {@link defineFunction}. */
export interface FunctionDefinition<Schema extends z.ZodType, Providers extends PortProviders, Routes extends RouteTable> {
  /** Path prefix on shared servers (`/password/...`) and the Appwrite function ID. */
  name: string;
  /** One line for the OpenAPI document and `/health`. */
  summary: string;
  /** The schema of its environment variables. */
  configSchema: Schema;
  /** The ports it needs; nothing else is built for it. */
  ports: Providers;
  /** Its routes as data: registered by `serveRoutes` and described by the OpenAPI document. */
  routes: Routes;
  /** Its own error types; the kit-wide ones (`shared/errors.ts`) need no declaring. */
  errors?: ErrorCatalog;
  /**
   * Appwrite tables of its own (appwrite.json `tables` entries, in the kit's database), beyond the
   * shared rate-limit and once-store tables: `npm start`'s embedded Appwrite serves them too.
   */
  appwriteTables?: readonly AppwriteTableSpec[];
  createApp(config: z.output<Schema>, ports: Ports<Providers>): Hono<KitEnv>;
}

/** A function as runtimes see it: everything typed away but what they need. */
export interface KitFunction {
  name: string;
  summary: string;
  routes: RouteTable;
  errors: ErrorCatalog;
  configSchema: z.ZodType;
  /** Every Appwrite scope its ports need, sorted: what its `scopes` in appwrite.json must grant. */
  appwriteScopes: readonly string[];
  /** Its own Appwrite tables (see {@link FunctionDefinition.appwriteTables}). */
  appwriteTables: readonly AppwriteTableSpec[];
  /** Parses the config (throws `ConfigError`), builds the ports it asked for, and its app. */
  build(env: EnvSource, runtime: RuntimeServices): Hono<KitEnv>;
}

const namePattern = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * Declares a kit function, its config and port types inferred.
 *
 * @example
 * ```ts
 * export const helloFunction = defineFunction({
 *   name: 'hello',
 *   summary: 'Says hello.',
 *   configSchema: z.object({ GREETING: z.string().default('hello') }),
 *   ports: {},
 *   routes: helloRoutes,
 *   createApp: (config, { logger }) =>
 *     serveRoutes(createFunctionApp({ logger }), helloRoutes, { greet: (c) => c.json({ text: config.GREETING }) }),
 * });
 * ```
 */
export function defineFunction<Schema extends z.ZodType, Providers extends PortProviders, Routes extends RouteTable>(
  definition: FunctionDefinition<Schema, Providers, Routes>,
): KitFunction {
  if (!namePattern.test(definition.name)) throw new TypeError(`Function name ${definition.name} must be lower-case letters, digits and "-".`);
  return {
    name: definition.name,
    summary: definition.summary,
    routes: definition.routes,
    errors: definition.errors ?? defineErrors({}),
    configSchema: definition.configSchema,
    appwriteTables: definition.appwriteTables ?? [],
    appwriteScopes: [...new Set(Object.values(definition.ports).flatMap((provider) => provider.appwriteScopes))].sort(),
    build(env, runtime) {
      const config = parseConfig(definition.configSchema, env);
      const ports: Record<string, unknown> = { logger: runtime.logger, clock: runtime.clock };
      for (const [name, provider] of Object.entries(definition.ports)) ports[name] = provider.create(runtime);
      return definition.createApp(config, ports as Ports<Providers>);
    },
  };
}
