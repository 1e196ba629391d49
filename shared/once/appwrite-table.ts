/**
 * The Appwrite table that holds once-store records, in the Appwrite CLI's config format. Like the
 * rate-limit table, one object serves three readers: `appwrite.json` (which declares the same table
 * so `appwrite push` creates it), the Appwrite once-store, and the embedded Appwrite double, which is
 * seeded from it so tests run against the declared schema.
 *
 * @module
 */
import { RATE_LIMIT_DATABASE_ID } from '../rate-limit/appwrite-table.js';

/**
 * Default database ID: the kit's own database, shared with the rate-limit counters.
 *
 * @example
 * ```ts
 * await tables.getRow({ databaseId: ONCE_DATABASE_ID, tableId: ONCE_TABLE_ID, rowId: await onceRowId(key) });
 * ```
 */
export const ONCE_DATABASE_ID = RATE_LIMIT_DATABASE_ID;
/**
 * Default table ID of the records.
 *
 * @example
 * ```ts
 * await tables.getRow({ databaseId: ONCE_DATABASE_ID, tableId: ONCE_TABLE_ID, rowId: await onceRowId(key) });
 * ```
 */
export const ONCE_TABLE_ID = 'once_keys';

/**
 * The table as `appwrite.json` declares it (Appwrite CLI `tables` entry). A record is its row ID (a
 * hash of the key) and when it expires; nothing else is needed, and nothing readable is kept.
 *
 * @example
 * ```ts
 * const config = { tablesDB: [rateLimitDatabaseSpec], tables: [rateLimitTableSpec, onceTableSpec] };
 * ```
 */
export const onceTableSpec = {
  $id: ONCE_TABLE_ID,
  $permissions: [] as string[],
  databaseId: ONCE_DATABASE_ID,
  name: 'Once keys',
  enabled: true,
  rowSecurity: false,
  columns: [{ key: 'expiresAt', type: 'datetime', required: true, array: false, format: '', default: null }],
  indexes: [{ key: 'expiresAt_key', type: 'key', columns: ['expiresAt'], orders: ['ASC'] }],
} as const;
