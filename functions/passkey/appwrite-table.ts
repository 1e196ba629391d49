/**
 * The Appwrite table of passkeys, in the Appwrite CLI's config format: `appwrite.json` declares it
 * (API key only: no permissions, no row security), the Appwrite passkey store uses it, and the
 * embedded Appwrite is seeded from it in tests.
 *
 * @module
 */
import { RATE_LIMIT_DATABASE_ID } from '../../shared/rate-limit/appwrite-table.js';

/**
 * The kit's own database, shared with the rate-limit counters and once-store records.
 *
 * @example
 * ```ts
 * await tables.getRow({ databaseId: PASSKEY_DATABASE_ID, tableId: PASSKEY_TABLE_ID, rowId });
 * ```
 */
export const PASSKEY_DATABASE_ID = RATE_LIMIT_DATABASE_ID;
/**
 * @example
 * ```ts
 * await tables.getRow({ databaseId: PASSKEY_DATABASE_ID, tableId: PASSKEY_TABLE_ID, rowId });
 * ```
 */
export const PASSKEY_TABLE_ID = 'passkeys';

/**
 * One row per passkey, its ID a hash of the credential ID (which may be up to 1023 bytes). Strings
 * are sized for what WebAuthn allows: credential IDs of 1023 bytes (1364 base64url characters),
 * COSE keys of EdDSA, ES256 and RS256 up to 4096 bits. Transports are comma-separated: the CLI's
 * array columns would add nothing here.
 *
 * @example
 * ```ts
 * const config = { tablesDB: [rateLimitDatabaseSpec], tables: [rateLimitTableSpec, onceTableSpec, passkeyTableSpec] };
 * ```
 */
export const passkeyTableSpec = {
  $id: PASSKEY_TABLE_ID,
  $permissions: [] as string[],
  databaseId: PASSKEY_DATABASE_ID,
  name: 'Passkeys',
  enabled: true,
  rowSecurity: false,
  columns: [
    { key: 'credentialId', type: 'string', required: true, array: false, size: 1400, default: null, encrypt: false },
    { key: 'userId', type: 'string', required: true, array: false, size: 36, default: null, encrypt: false },
    { key: 'publicKey', type: 'string', required: true, array: false, size: 1024, default: null, encrypt: false },
    { key: 'counter', type: 'integer', required: true, array: false, min: 0, max: 4_294_967_295, default: null },
    { key: 'transports', type: 'string', required: true, array: false, size: 256, default: null, encrypt: false },
    { key: 'deviceType', type: 'string', required: true, array: false, size: 16, default: null, encrypt: false },
    { key: 'backedUp', type: 'boolean', required: true, array: false, default: null },
    { key: 'createdAt', type: 'datetime', required: true, array: false, format: '', default: null },
    { key: 'lastUsedAt', type: 'datetime', required: false, array: false, format: '', default: null },
  ],
  indexes: [{ key: 'userId_key', type: 'key', columns: ['userId'], orders: ['ASC'] }],
} as const;
