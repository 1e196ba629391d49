/**
 * An embedded Appwrite double whose only API key has `rows.write` without `rows.read`, for the
 * once-store's test of a key that can record but cannot check.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import type { AppwriteConnection } from '../../shared/config.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { close, listen } from '../rate-limit/tables-double.js';

const PROJECT_ID = 'kit-once-test';
const WRITE_ONLY_KEY = 'rows-write-only-key';

/**
 * Starts the double on an OS-chosen loopback port, its clock frozen at `start`.
 *
 * @example
 * ```ts
 * const double = await startWriteOnlyDouble(Date.UTC(2026, 0, 1));
 * const once = createAppwriteOnceStore(double.connection, { logger });
 * await double.close();
 * ```
 */
export async function startWriteOnlyDouble(start: number): Promise<{ connection: AppwriteConnection; close(): Promise<void> }> {
  const { app } = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [WRITE_ONLY_KEY]: ['rows.write'] }, clock: { now: () => start } });
  const server = await listen(app.fetch);
  const { port } = server.address() as AddressInfo;
  return {
    connection: {
      APPWRITE_ENDPOINT: `http://127.0.0.1:${port}/v1`,
      APPWRITE_PROJECT_ID: PROJECT_ID,
      APPWRITE_API_KEY: WRITE_ONLY_KEY,
      APPWRITE_TIMEOUT_MS: 5_000,
    },
    close: () => close(server),
  };
}
