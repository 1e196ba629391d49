/**
 * One way to reach Appwrite for every Appwrite-backed port (users, rate-limit counters, messaging):
 * a `node-appwrite` client per connection, and a deadline plus error translation around each call.
 *
 * @module
 */
import { AppwriteException, Client } from 'node-appwrite';
import type { AppwriteConnection } from '../config.js';
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Creates a `node-appwrite` client for a connection.
 *
 * @example
 * ```ts
 * const client = createAppwriteClient({ APPWRITE_ENDPOINT: 'http://localhost:3000/v1',
 *   APPWRITE_PROJECT_ID: 'kit', APPWRITE_API_KEY: 'secret', APPWRITE_TIMEOUT_MS: 10000 });
 * ```
 */
export function createAppwriteClient(connection: AppwriteConnection): Client {
  return new Client()
    .setEndpoint(connection.APPWRITE_ENDPOINT)
    .setProject(connection.APPWRITE_PROJECT_ID)
    .setKey(connection.APPWRITE_API_KEY);
}

/**
 * Runs one Appwrite call with a deadline, turning transport failures and server errors into
 * client-safe `KitError`s. `node-appwrite` has no timeout of its own, so a hung endpoint would
 * otherwise hang the login until the platform kills it.
 *
 * @example
 * ```ts
 * const user = await callAppwrite(() => users.get({ userId }), { timeoutMs: 10000, logger, operation: 'users.get' });
 * ```
 */
export async function callAppwrite<T>(
  call: () => Promise<T>,
  options: { timeoutMs: number; logger: Logger; operation: string },
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppwriteTimeout()), options.timeoutMs);
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (error) {
    if (error instanceof AppwriteException && error.code >= 400 && error.code < 500) throw error;
    const reason = error instanceof AppwriteTimeout ? 'timeout' : error instanceof AppwriteException ? 'server_error' : 'unreachable';
    options.logger.error('appwrite_call_failed', {
      operation: options.operation,
      reason,
      status: error instanceof AppwriteException ? error.code : undefined,
      appwriteType: error instanceof AppwriteException ? error.type : undefined,
    });
    throw reason === 'server_error'
      ? new KitError('appwrite_error', 'Appwrite failed to complete the request. Try again later.')
      : new KitError('appwrite_unavailable', 'Appwrite is unavailable. Try again later.');
  } finally {
    clearTimeout(timer);
  }
}

class AppwriteTimeout extends Error {}
