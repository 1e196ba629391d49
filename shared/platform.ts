/**
 * The ports a runtime hands to every function, and the shape of a function definition.
 *
 * A function is a factory: validated config plus ports in, Hono app out. It never learns which
 * runtime it runs on; the adapters in `shared/runtime/` build the ports for theirs.
 *
 * @module
 */
import type { Hono } from 'hono';
import type { Clock } from './clock.js';
import type { z } from 'zod';
import type { KitEnv } from './http.js';
import type { Logger } from './log.js';
import type { PasswordVerifier } from './passwords/verifier.js';
import type { RateLimitStore } from './rate-limit/store.js';
import type { UsersDirectory } from './users.js';

/** Everything a runtime provides. A function takes what it needs and ignores the rest. */
export interface Platform {
  logger: Logger;
  clock: Clock;
  users: UsersDirectory;
  /** argon2 verification, already bounded in concurrency by the runtime. */
  passwordVerifier: PasswordVerifier;
  /** Atomic attempt counters shared by every instance of the deployment (memory, Durable Object or Appwrite table). */
  rateLimitStore: RateLimitStore;
}

/**
 * A kit function: a name (its path prefix on shared servers), the schema of its environment
 * variables, and the factory of its app.
 *
 * @example
 * ```ts
 * export const helloFunction = defineFunction({
 *   name: 'hello',
 *   configSchema: z.object({ GREETING: z.string().default('hi') }),
 *   createApp: (config, platform) => createFunctionApp(platform).get('/', (c) => c.text(config.GREETING)),
 * });
 * ```
 */
export interface KitFunction<Schema extends z.ZodType = z.ZodType> {
  name: string;
  configSchema: Schema;
  createApp(config: z.output<Schema>, platform: Platform): Hono<KitEnv>;
}

/** Declares a kit function with its config type inferred from the schema. */
export function defineFunction<Schema extends z.ZodType>(definition: KitFunction<Schema>): KitFunction<Schema> {
  return definition;
}
