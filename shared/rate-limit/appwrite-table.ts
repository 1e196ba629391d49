/**
 * The Appwrite database and table that hold rate-limit counters, in the Appwrite CLI's config
 * format. One object serves three readers: `appwrite.json` (which declares the same table so
 * `appwrite push` creates it), the Appwrite store, and the embedded Appwrite double, which is seeded
 * from it so tests run against the declared schema.
 *
 * @module
 */

/** Default database ID of the kit's own data. */
export const RATE_LIMIT_DATABASE_ID = 'kit';
/** Default table ID of the counters. */
export const RATE_LIMIT_TABLE_ID = 'rate_limits';

/**
 * The table as `appwrite.json` declares it (Appwrite CLI `tables` entry). The embedded Appwrite
 * double is seeded from the same object, so tests run against the declared schema.
 *
 * @example
 * ```ts
 * const config = { tablesDB: [rateLimitDatabaseSpec], tables: [rateLimitTableSpec] };
 * ```
 */
export const rateLimitTableSpec = {
  $id: RATE_LIMIT_TABLE_ID,
  $permissions: [] as string[],
  databaseId: RATE_LIMIT_DATABASE_ID,
  name: 'Rate limits',
  enabled: true,
  rowSecurity: false,
  columns: [
    { key: 'hits', type: 'integer', required: true, array: false, min: 0, max: 1_000_000, default: null },
    { key: 'expiresAt', type: 'datetime', required: true, array: false, format: '', default: null },
  ],
  indexes: [{ key: 'expiresAt_key', type: 'key', columns: ['expiresAt'], orders: ['ASC'] }],
} as const;

/**
 * The database entry of `appwrite.json` (`tablesDB` key) that holds {@link rateLimitTableSpec}.
 *
 * @example
 * ```ts
 * const config = { tablesDB: [rateLimitDatabaseSpec], tables: [rateLimitTableSpec] };
 * ```
 */
export const rateLimitDatabaseSpec = { $id: RATE_LIMIT_DATABASE_ID, name: 'Custom token kit', enabled: true } as const;
