/**
 * One way to reach Appwrite for every Appwrite-backed port (users, rate-limit counters, messaging):
 * a `node-appwrite` client per connection, and a deadline plus error translation around each call.
 *
 * @module
 */
import { AppwriteException, Client } from 'node-appwrite';
import type { AppwriteConnection } from '../config.js';
import { requestAbandoned, throwIfAbandoned } from '../deadline.js';
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

/** What {@link callAppwrite} needs besides the call. */
export interface AppwriteCallOptions {
  timeoutMs: number;
  logger: Logger;
  /** Names the call in logs, e.g. `users.createToken`. */
  operation: string;
  /** The request's signal (`RuntimeServices.signal`): once aborted, no call starts and none is awaited. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs one Appwrite call with a deadline, turning transport failures and server errors into
 * client-safe `KitError`s. `node-appwrite` has no timeout of its own, so a hung endpoint would
 * otherwise hang the login until the platform kills it.
 *
 * Once the request is abandoned (`signal` aborted) no call starts, and one under way is no longer
 * awaited. It cannot be withdrawn: node-appwrite 27 builds each `fetch` itself (method, headers,
 * body, a TLS dispatcher) and takes no `AbortSignal`, and Appwrite would finish a request it has
 * received even if the socket closed. So the guarantee is "nothing starts after the deadline",
 * and callers check the signal before each step that changes state.
 *
 * @example
 * ```ts
 * const user = await callAppwrite(() => users.get({ userId }), { timeoutMs: 10000, logger, operation: 'users.get', signal });
 * ```
 */
export async function callAppwrite<T>(call: () => Promise<T>, options: AppwriteCallOptions): Promise<T> {
  throwIfAbandoned(options.signal, options.operation, options.logger);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbandon: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppwriteTimeout()), options.timeoutMs);
    onAbandon = () => reject(new Abandoned());
    options.signal?.addEventListener('abort', onAbandon, { once: true });
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (error) {
    if (error instanceof AppwriteException && error.code >= 400 && error.code < 500) throw error;
    const reason =
      error instanceof AppwriteTimeout
        ? 'timeout'
        : error instanceof Abandoned
          ? 'request_abandoned'
          : error instanceof AppwriteException
            ? 'server_error'
            : 'unreachable';
    options.logger.error('appwrite_call_failed', {
      operation: options.operation,
      reason,
      status: error instanceof AppwriteException ? error.code : undefined,
      appwriteType: error instanceof AppwriteException ? error.type : undefined,
    });
    if (reason === 'request_abandoned') throw requestAbandoned();
    throw reason === 'server_error'
      ? new KitError('appwrite_error', 'Appwrite failed to complete the request. Try again later.')
      : new KitError('appwrite_unavailable', 'Appwrite is unavailable. Try again later.');
  } finally {
    clearTimeout(timer);
    if (onAbandon) options.signal?.removeEventListener('abort', onAbandon);
  }
}

class AppwriteTimeout extends Error {}
class Abandoned extends Error {}

/** What to fix, by the type Appwrite refused with; `scopes` are those of the port that called. */
const refusalHints: Record<string, (scopes: readonly string[]) => string> = {
  general_unauthorized_scope: (scopes) =>
    `the function needs ${scopes.join(' and ')} (scopes in appwrite.json, or those of APPWRITE_API_KEY)`,
  user_unauthorized: () =>
    'Appwrite does not accept the API key: on Appwrite Functions give the function its scopes in appwrite.json; elsewhere check APPWRITE_API_KEY and APPWRITE_PROJECT_ID',
  project_not_found: () => 'no project with this ID at this endpoint: check the project ID',
  database_not_found: () => "the kit's tables are missing: appwrite push tables",
  table_not_found: () => "the kit's tables are missing: appwrite push tables",
  row_invalid_structure: () => "the table's columns differ from appwrite.json: appwrite push tables",
};

/**
 * The error for a call Appwrite refused because the function is misconfigured (its key, scopes,
 * project or tables): permanent, so 502 `appwrite_error`, not a 503 a client would retry in vain.
 * Logs what Appwrite answered and, when known, what to fix; never the key.
 *
 * @example
 * ```ts
 * if (error instanceof AppwriteException) throw appwriteRefusal(error, { logger, operation: 'users.get', scopes: ['users.read', 'users.write'] });
 * // appwrite_rejected_request operation="users.get" status=401 appwriteType="general_unauthorized_scope" hint="the function needs users.read and users.write (…)"
 * ```
 */
export function appwriteRefusal(error: AppwriteException, options: { logger: Logger; operation: string; scopes: readonly string[] }): KitError {
  options.logger.error('appwrite_rejected_request', {
    operation: options.operation,
    status: error.code,
    appwriteType: error.type,
    hint: refusalHints[error.type]?.(options.scopes),
  });
  return new KitError('appwrite_error', 'Appwrite refused the request. See the function logs.');
}
