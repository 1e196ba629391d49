/**
 * A table as appwrite.json declares it (the Appwrite CLI's `tables` entries): the one shape shared
 * by the kit's own tables, a function's tables (`appwriteTables` of its definition) and the embedded
 * Appwrite, which serves exactly what is declared.
 *
 * @module
 */

/**
 * One column of a table.
 *
 * @example
 * ```ts
 * const hits: AppwriteColumnSpec = { key: 'hits', type: 'integer', required: true, min: 0, max: 1_000_000 };
 * ```
 */
export interface AppwriteColumnSpec {
  readonly key: string;
  readonly type: string;
  readonly required: boolean;
  readonly array?: boolean;
  readonly min?: number | null;
  readonly max?: number | null;
  readonly size?: number;
  readonly default?: unknown;
}

/**
 * A table.
 *
 * @example
 * ```ts
 * const table: AppwriteTableSpec = { $id: 'notes', $permissions: [], rowSecurity: false, databaseId: 'kit', name: 'Notes', columns: [] };
 * ```
 */
export interface AppwriteTableSpec {
  readonly $id: string;
  /** Table-level permissions, e.g. `['read("users")']`; none means API keys only. */
  readonly $permissions: readonly string[];
  /** Whether rows' own permissions count too (Appwrite's `rowSecurity`, `documentSecurity` underneath). */
  readonly rowSecurity: boolean;
  readonly databaseId: string;
  readonly name: string;
  readonly columns: readonly AppwriteColumnSpec[];
}
