/**
 * Starts the embedded Appwrite on a loopback port for contract tests, with a movable clock and
 * cheap argon2 costs unless a test asks for Appwrite's real ones.
 *
 * @module
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Client, Messaging, Users } from 'node-appwrite';
import { kitFunctions } from '../../functions/index.js';
import { createDevAppwrite, kitTables, type DevAppwriteStore, type PasswordHashOptions, type PasswordPolicies } from '../../shared/dev-appwrite/index.js';
import { manualClock, type ManualClock } from '../helpers/clock.js';

export const PROJECT_ID = 'kit-test';
/**
 * A key with every scope the kit's functions need (users, and messages for out-of-band codes), plus
 * `sessions.write` for server-side sessions.
 */
export const SERVER_KEY = 'server-key-with-all-scopes';
export const READ_ONLY_KEY = 'read-only-key';
/** Cheap enough that tests hashing many passwords stay fast. */
export const CHEAP_HASHING: PasswordHashOptions = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** When every test's clock starts: 2026-01-15T12:00:00Z. */
export const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A running double. */
export interface RunningDevAppwrite {
  endpoint: string;
  store: DevAppwriteStore;
  clock: ManualClock;
  /** A node-appwrite client authenticated with `SERVER_KEY`. */
  serverClient(): Client;
  users(): Users;
  /** Messaging, authenticated with `SERVER_KEY`. */
  messaging(): Messaging;
  /** Empties the store and rewinds the clock, so tests sharing one server start alike. */
  reset(): void;
  close(): Promise<void>;
}

/** Options of {@link startDevAppwrite}. */
export interface StartDevAppwriteOptions {
  /** argon2 costs: cheap by default, `'appwrite-default'` for Appwrite's own. */
  hashing?: PasswordHashOptions | 'appwrite-default';
  /** The project's password policies (history, personal data, dictionary); none by default, as in Appwrite. */
  passwordPolicies?: PasswordPolicies;
}

/**
 * Serves a fresh double on `127.0.0.1` and an OS-chosen port, hashing cheaply unless asked for
 * Appwrite's default argon2 costs.
 *
 * @example
 * ```ts
 * const dev = await startDevAppwrite({ passwordPolicies: { passwordHistory: 3 } });
 * afterAll(() => dev.close());
 * ```
 */
export async function startDevAppwrite(options: StartDevAppwriteOptions = {}): Promise<RunningDevAppwrite> {
  const clock = manualClock(START_MS);
  const { app, store } = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: { [SERVER_KEY]: ['users.read', 'users.write', 'sessions.write', 'messages.read', 'messages.write'], [READ_ONLY_KEY]: ['users.read'] },
    clock,
    passwordHashOptions: options.hashing === 'appwrite-default' ? undefined : (options.hashing ?? CHEAP_HASHING),
    passwordPolicies: options.passwordPolicies,
    // The kit's tables and those its functions declare, as npm start serves them.
    tables: { ...kitTables, tables: [...kitTables.tables, ...kitFunctions.flatMap((fn) => fn.appwriteTables)] },
  });
  const server: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}/v1`;
  const serverClient = () => new Client().setEndpoint(endpoint).setProject(PROJECT_ID).setKey(SERVER_KEY);
  return {
    endpoint,
    store,
    clock,
    serverClient,
    users: () => new Users(serverClient()),
    messaging: () => new Messaging(serverClient()),
    reset: () => {
      store.clear();
      clock.reset();
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/**
 * The `AppwriteException` (or other error) a call rejects with; fails the test if it resolves.
 *
 * @example
 * ```ts
 * expect(await failure(users.get({ userId: 'nope' }))).toMatchObject({ code: 404, type: 'user_not_found' });
 * ```
 */
export async function failure(call: Promise<unknown>): Promise<{ code: number; type: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return error as { code: number; type: string; message: string };
  }
  throw new Error('Expected the call to fail, but it succeeded.');
}
