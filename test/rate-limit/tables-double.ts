/**
 * Serves the embedded Appwrite double's TablesDB routes over real HTTP on 127.0.0.1, for the
 * Appwrite store's tests.
 *
 * @module
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Client, TablesDB } from 'node-appwrite';
import type { AppwriteConnection } from '../../shared/config.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { manualClock, type ManualClock } from '../helpers/clock.js';

export const PROJECT_ID = 'kit-rate-limit-test';
export const ROWS_KEY = 'rows-key';
export const READ_ONLY_KEY = 'rows-read-only-key';

/** A running double. */
export interface RunningTablesDouble {
  endpoint: string;
  clock: ManualClock;
  connection(apiKey?: string): AppwriteConnection;
  tables(apiKey?: string): TablesDB;
  close(): Promise<void>;
}

/**
 * Starts the double on an OS-chosen loopback port with a movable clock.
 *
 * @example
 * ```ts
 * const double = await startTablesDouble(Date.UTC(2026, 0, 1));
 * afterAll(() => double.close());
 * ```
 */
export async function startTablesDouble(start: number): Promise<RunningTablesDouble> {
  const clock = manualClock(start);
  const { app } = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: { [ROWS_KEY]: ['rows.read', 'rows.write'], [READ_ONLY_KEY]: ['rows.read'] },
    clock,
  });
  const server = await listen(app.fetch);
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}/v1`;
  const connection = (apiKey = ROWS_KEY): AppwriteConnection => ({
    APPWRITE_ENDPOINT: endpoint,
    APPWRITE_PROJECT_ID: PROJECT_ID,
    APPWRITE_API_KEY: apiKey,
    APPWRITE_TIMEOUT_MS: 5_000,
  });
  return {
    endpoint,
    clock,
    connection,
    tables: (apiKey = ROWS_KEY) => new TablesDB(new Client().setEndpoint(endpoint).setProject(PROJECT_ID).setKey(apiKey)),
    close: () => close(server),
  };
}

/**
 * Serves a fetch handler on 127.0.0.1 and an OS-chosen port.
 *
 * @example
 * ```ts
 * const server = await listen(() => new Response('boom', { status: 500 }));
 * ```
 */
export async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<ServerType> {
  const server = serve({ fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return server;
}

/**
 * Closes a server started by {@link listen}.
 *
 * @example
 * ```ts
 * await close(server);
 * ```
 */
export function close(server: ServerType): Promise<void> {
  return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/**
 * A loopback port nothing listens on: bound by the OS, then released.
 *
 * @example
 * ```ts
 * const endpoint = `http://127.0.0.1:${await closedPort()}/v1`;
 * ```
 */
export async function closedPort(): Promise<number> {
  const server = await listen(() => new Response(null));
  const { port } = server.address() as AddressInfo;
  await close(server);
  return port;
}
