/**
 * The passkey store on an Appwrite table (`appwrite-table.ts`), for every runtime: a passkey must
 * outlive any one instance, and Appwrite already holds the users it belongs to.
 *
 * The row ID is a hash of the credential ID, so a lookup is one `getRow` and two registrations of
 * one credential cannot both succeed (`createRow` refuses a taken ID). The API key needs
 * `rows.read` and `rows.write`.
 *
 * @module
 */
import { AppwriteException, Query, TablesDB } from 'node-appwrite';
import * as z from 'zod';
import { appwriteRefusal, callAppwrite, createAppwriteClient } from '../../shared/appwrite/client.js';
import type { AppwriteConnection } from '../../shared/config.js';
import { sha256Hex } from '../../shared/hash.js';
import type { Logger } from '../../shared/log.js';
import { PASSKEY_DATABASE_ID, PASSKEY_TABLE_ID } from './appwrite-table.js';
import { PasskeyExistsError, type PasskeyStore, type StoredPasskey } from './store.js';

/** A user holds a handful of passkeys; listing more than this many is a bug, not a page to fetch. */
const LIST_LIMIT = 100;

const rowSchema = z.object({
  credentialId: z.string(),
  userId: z.string(),
  publicKey: z.string(),
  counter: z.number().int().nonnegative(),
  transports: z.string(),
  deviceType: z.enum(['singleDevice', 'multiDevice']),
  backedUp: z.boolean(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().optional(),
});

const iso = (value: string) => new Date(Date.parse(value)).toISOString();

function fromRow(row: unknown): StoredPasskey {
  const data = rowSchema.parse(row);
  return {
    ...data,
    transports: data.transports === '' ? [] : data.transports.split(','),
    createdAt: iso(data.createdAt),
    lastUsedAt: data.lastUsedAt ? iso(data.lastUsedAt) : null,
  };
}

/**
 * The row ID of a credential: `pk` and 32 hex digits of SHA-256.
 *
 * @example
 * ```ts
 * await passkeyRowId('KEbWNCc7NgaYnUyrNeFGX9_3Y-8oJ3KwzjnaiD1d1OU'); // 'pk3b1f…' (34 chars)
 * ```
 */
export async function passkeyRowId(credentialId: string): Promise<string> {
  return `pk${(await sha256Hex(`kit-passkey:${credentialId}`)).slice(0, 32)}`;
}

/**
 * @example
 * ```ts
 * const passkeys = createAppwritePasskeyStore(connection, { logger });
 * await passkeys.listByUser('pw-35e7d6b72db03238fdcb1696cd3b5b6bf');
 * ```
 */
export function createAppwritePasskeyStore(connection: AppwriteConnection, options: { logger: Logger; signal?: AbortSignal | undefined }): PasskeyStore {
  const { logger } = options;
  const tables = new TablesDB(createAppwriteClient(connection));
  const at = { databaseId: PASSKEY_DATABASE_ID, tableId: PASSKEY_TABLE_ID };
  async function run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await callAppwrite(call, { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation, signal: options.signal });
    } catch (error) {
      if (error instanceof AppwriteException) throw appwriteRefusal(error, { logger, operation, scopes: ['rows.read', 'rows.write'] });
      throw error;
    }
  }
  const missing = (error: unknown) => error instanceof AppwriteException && error.code === 404 && error.type === 'row_not_found';

  return {
    async add(passkey) {
      const rowId = await passkeyRowId(passkey.credentialId);
      const data = { ...passkey, transports: passkey.transports.join(',') };
      try {
        await callAppwrite(() => tables.createRow({ ...at, rowId, data }), { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation: 'tablesDB.createRow', signal: options.signal });
      } catch (error) {
        if (error instanceof AppwriteException && error.code === 409) throw new PasskeyExistsError();
        if (error instanceof AppwriteException) throw appwriteRefusal(error, { logger, operation: 'tablesDB.createRow', scopes: ['rows.read', 'rows.write'] });
        throw error;
      }
    },
    async get(credentialId) {
      const rowId = await passkeyRowId(credentialId);
      try {
        const row = await callAppwrite(() => tables.getRow({ ...at, rowId }), { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation: 'tablesDB.getRow', signal: options.signal });
        const passkey = fromRow(row);
        // A hash collision is not a match.
        return passkey.credentialId === credentialId ? passkey : null;
      } catch (error) {
        if (missing(error)) return null;
        if (error instanceof AppwriteException) throw appwriteRefusal(error, { logger, operation: 'tablesDB.getRow', scopes: ['rows.read', 'rows.write'] });
        throw error;
      }
    },
    async listByUser(userId) {
      const list = await run('tablesDB.listRows', () => tables.listRows({ ...at, queries: [Query.equal('userId', userId), Query.limit(LIST_LIMIT)] }));
      return list.rows.map(fromRow).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async recordUse(credentialId, counter, when) {
      const rowId = await passkeyRowId(credentialId);
      await run('tablesDB.updateRow', () => tables.updateRow({ ...at, rowId, data: { counter, lastUsedAt: new Date(when).toISOString() } }));
    },
    async delete(credentialId) {
      const rowId = await passkeyRowId(credentialId);
      try {
        await callAppwrite(() => tables.deleteRow({ ...at, rowId }), { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation: 'tablesDB.deleteRow', signal: options.signal });
        return true;
      } catch (error) {
        if (missing(error)) return false;
        if (error instanceof AppwriteException) throw appwriteRefusal(error, { logger, operation: 'tablesDB.deleteRow', scopes: ['rows.read', 'rows.write'] });
        throw error;
      }
    },
  };
}
