/**
 * The TablesDB routes of the embedded Appwrite double: exactly the ones the rate-limit and once stores use.
 *
 * | route | scope | Appwrite 1.9 behaviour imitated |
 * |---|---|---|
 * | `POST /v1/tablesdb/:db/tables/:table/rows` | `rows.write` | 201 row; 400 `row_invalid_structure`; 401 `user_unauthorized` without `create` permission; 409 `row_already_exists` |
 * | `GET …/rows/:rowId` | `rows.read` | 200 row; 404 `row_not_found`, also for a row the caller may not read |
 * | `PATCH …/rows/:rowId/:column/increment` | `rows.write` | 200 row; 404 `column_not_found` for a missing column **or a missing row**; 401 `user_unauthorized` without `update` permission; 400 `column_limit_exceeded` when `current + value > max` |
 * | `PATCH …/rows/:rowId/:column/decrement` | `rows.write` | the same, with `min`: 400 `column_limit_exceeded` when `current - value < min` |
 * | `DELETE …/rows/:rowId` | `rows.write` | 204; 404 `row_not_found`; 401 `user_unauthorized` without `delete` permission |
 * | `DELETE …/rows` (bulk, by query) | `rows.write` | 200 `{ total, rows }` of the deleted rows; API keys only (below) |
 *
 * Permissions are Appwrite's (see `permissions.ts`): an API key may do anything; anyone else needs a
 * role the table's `$permissions` grant, or, when the table has `rowSecurity`, one the row's grant
 * (creation looks at the table only). The kit's tables declare no permissions, so guests and
 * signed-in users can neither read nor touch them, as in Appwrite. Bulk delete reads the database
 * without skipping authorization, and a database carries no permissions, so any caller without a
 * key gets 404 `database_not_found` there (`Documents/Bulk/Delete.php`).
 *
 * Unknown databases and tables answer 404 `database_not_found` / `table_not_found`. The error types
 * and their mapping follow Appwrite's `src/Appwrite/Extend/Exception.php` and the TablesDB actions
 * (`Databases/Http/TablesDB/Tables/Rows/*`, which extend the Collections `Documents` actions); the
 * increment's and decrement's checks follow utopia-php/database `Database::increaseDocumentAttribute` and
 * `decreaseDocumentAttribute`. Messages are
 * close to Appwrite's but not guaranteed word for word.
 *
 * Each route decides and writes without an `await` in between, so concurrent requests are
 * serialised by the event loop: the double is atomic in-process, as Appwrite's row lock is.
 *
 * The double knows only the tables it was given (`tables` of `createDevAppwrite`): by default the
 * kit's own, as declared for `appwrite.json` in `shared/rate-limit/appwrite-table.ts` and
 * `shared/once/appwrite-table.ts`.
 *
 * @module
 */
import type { AppwriteColumnSpec, AppwriteTableSpec } from '../appwrite/table-spec.js';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { onceTableSpec } from '../once/appwrite-table.js';
import { rateLimitDatabaseSpec, rateLimitTableSpec } from '../rate-limit/appwrite-table.js';
import { requireScope } from './auth.js';
import type { Caller, DevAppwriteContext, DevEnv, RouteModule } from './context.js';
import { AppwriteError } from './errors.js';
import { appwriteDate } from './models.js';
import * as param from './params.js';
import { allows, callerRoles, rolesGranted } from './permissions.js';
import { uniqueId } from './secrets.js';

/** A column as the Appwrite CLI config declares it (see `shared/appwrite/table-spec.ts`). */
export type DoubleColumnSpec = AppwriteColumnSpec;

/** A table as the Appwrite CLI config declares it (see `shared/appwrite/table-spec.ts`). */
export type DoubleTableSpec = AppwriteTableSpec;

/** A database as the Appwrite CLI config declares it (`tablesDB` entries). */
export interface DoubleDatabaseSpec {
  readonly $id: string;
  readonly name: string;
}

interface RowRecord {
  id: string;
  sequence: number;
  createdAt: number;
  updatedAt: number;
  permissions: string[];
  data: Record<string, unknown>;
}

interface TableState {
  spec: DoubleTableSpec;
  rows: Map<string, RowRecord>;
  nextSequence: number;
}

/**
 * Creates the route module for a set of databases and tables.
 *
 * @example
 * ```ts
 * const register = createTablesDbRoutes([{ $id: 'app', name: 'App' }], [{ $id: 'notes', databaseId: 'app', name: 'Notes', columns: [] }]);
 * register(app, ctx);
 * ```
 */
export function createTablesDbRoutes(
  databases: readonly DoubleDatabaseSpec[],
  tables: readonly DoubleTableSpec[],
): RouteModule {
  return (app, ctx) => {
    const state = new Map<string, Map<string, TableState>>();
    for (const database of databases) state.set(database.$id, new Map());
    for (const table of tables) {
      const database = state.get(table.databaseId);
      if (!database) throw new TypeError(`Table ${table.$id} names an undeclared database ${table.databaseId}.`);
      database.set(table.$id, { spec: table, rows: new Map(), nextSequence: 1 });
    }

    const tableOf = (c: Context<DevEnv>): TableState => {
      const databaseId = param.uid(c.req.param('databaseId'), 'databaseId');
      const tableId = param.uid(c.req.param('tableId'), 'tableId');
      const database = state.get(databaseId);
      if (!database) throw new AppwriteError('database_not_found', `Database with the requested ID '${databaseId}' could not be found.`);
      const table = database.get(tableId);
      if (!table) throw new AppwriteError('table_not_found', `Table with the requested ID '${tableId}' could not be found.`);
      return table;
    };
    const rowsPath = '/v1/tablesdb/:databaseId/tables/:tableId/rows';

    app.post(rowsPath, requireScope(ctx, 'rows.write'), (c) =>
      respond(c, async () => {
        const params = await param.readParams(c);
        const table = tableOf(c);
        if (params.rows !== undefined) throw new AppwriteError('general_argument_invalid', 'The double does not implement bulk row creation.');
        let rowId = param.customId(param.required(params, 'rowId'), 'rowId');
        const data = param.assoc(param.required(params, 'data'), 'data');
        const { caller } = c.get('auth');
        const permissions = rowPermissions(caller, permissionList(params.permissions));
        if (!allows(caller, 'create', [table.spec.$permissions])) {
          throw new AppwriteError('user_unauthorized', refusal(caller, 'create', table.spec.$permissions));
        }
        const values = validateRow(table.spec, data);

        const now = ctx.clock.now();
        if (rowId === 'unique()') rowId = uniqueId(now);
        if (table.rows.has(rowId)) throw new AppwriteError('row_already_exists');
        const row: RowRecord = { id: rowId, sequence: table.nextSequence++, createdAt: now, updatedAt: now, permissions, data: values };
        table.rows.set(rowId, row);
        return [rowModel(table, row), 201];
      }),
    );

    app.get(`${rowsPath}/:rowId`, requireScope(ctx, 'rows.read'), (c) =>
      respond(c, async () => {
        const table = tableOf(c);
        const row = table.rows.get(param.uid(c.req.param('rowId'), 'rowId'));
        // A row the caller may not read is one it cannot tell from a missing one.
        if (!row || !allows(c.get('auth').caller, 'read', applicable(table, row))) throw new AppwriteError('row_not_found');
        return [rowModel(table, row), 200];
      }),
    );

    app.get(rowsPath, requireScope(ctx, 'rows.read'), (c) =>
      respond(c, async () => {
        const table = tableOf(c);
        // `limit` and `offset` page; every other query filters, as the bulk delete's do.
        const params = await param.readParams(c);
        const raw = params.queries === undefined ? [] : (Array.isArray(params.queries) ? params.queries : [params.queries]).map(String);
        const paging = { limit: DEFAULT_LIST_LIMIT, offset: 0 };
        const filters = raw.filter((entry) => {
          const query = safeJson(entry) as { method?: unknown; values?: unknown[] } | null;
          if (query?.method !== 'limit' && query?.method !== 'offset') return true;
          const value = query.values?.[0];
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (query.method === 'limit' && (value < 1 || value > MAX_LIST_LIMIT))) {
            throw new AppwriteError('general_query_invalid', `Invalid query: ${entry}`);
          }
          paging[query.method] = value;
          return false;
        });
        const filter = parseRowQueries(table.spec, filters);
        const caller = c.get('auth').caller;
        const matching = [...table.rows.values()].filter((row) => filter(row) && allows(caller, 'read', applicable(table, row)));
        const page = matching.slice(paging.offset, paging.offset + paging.limit);
        return [{ total: matching.length, rows: page.map((row) => rowModel(table, row)) }, 200];
      }),
    );

    app.patch(`${rowsPath}/:rowId`, requireScope(ctx, 'rows.write'), (c) =>
      respond(c, async () => {
        const params = await param.readParams(c);
        const table = tableOf(c);
        const row = table.rows.get(param.uid(c.req.param('rowId'), 'rowId'));
        if (!row) throw new AppwriteError('row_not_found');
        if (!allows(c.get('auth').caller, 'update', applicable(table, row))) throw new AppwriteError('user_unauthorized');
        const data = params.data === undefined ? {} : param.assoc(params.data, 'data');
        // A partial update: the columns it names replace the row's, and the whole row must still fit the schema.
        row.data = validateRow(table.spec, { ...row.data, ...data });
        row.updatedAt = ctx.clock.now();
        return [rowModel(table, row), 200];
      }),
    );

    // Increment and decrement are one action in utopia-php/database (`increaseDocumentAttribute`,
    // `decreaseDocumentAttribute`): the same checks in the same order, a bound on the opposite side.
    for (const direction of ['increment', 'decrement'] as const) {
      app.patch(`${rowsPath}/:rowId/:column/${direction}`, requireScope(ctx, 'rows.write'), (c) =>
        respond(c, async () => {
          const params = await param.readParams(c);
          const table = tableOf(c);
          const rowId = param.uid(c.req.param('rowId'), 'rowId');
          const columnKey = param.uid(c.req.param('column'), 'column');
          const value = numeric(params.value ?? 1, 'value');
          const boundName = direction === 'increment' ? 'max' : 'min';
          const bound = params[boundName] === undefined || params[boundName] === null ? null : numeric(params[boundName], boundName);

          // The order of utopia-php/database's checks; every not-found there becomes `column_not_found`.
          if (value <= 0) throw new AppwriteError('general_argument_invalid', 'Value must be numeric and greater than 0');
          const column = table.spec.columns.find((candidate) => candidate.key === columnKey);
          if (!column) throw new AppwriteError('column_not_found');
          if ((column.type !== 'integer' && column.type !== 'double') || column.array) {
            throw new AppwriteError('attribute_type_invalid', `tablesDB "${columnKey}" is not a number`);
          }
          const row = table.rows.get(rowId);
          if (!row) throw new AppwriteError('column_not_found');
          if (!allows(c.get('auth').caller, 'update', applicable(table, row))) throw new AppwriteError('user_unauthorized');
          const current = typeof row.data[columnKey] === 'number' ? (row.data[columnKey] as number) : 0;
          const next = direction === 'increment' ? current + value : current - value;
          if (bound !== null && (direction === 'increment' ? next > bound : next < bound)) {
            const edge = direction === 'increment' ? 'maximum' : 'minimum';
            throw new AppwriteError('column_limit_exceeded', `tablesDB "${columnKey}" has reached the ${edge} value of ${bound}`);
          }
          row.data[columnKey] = next;
          row.updatedAt = ctx.clock.now();
          return [rowModel(table, row), 200];
        }),
      );
    }

    app.delete(`${rowsPath}/:rowId`, requireScope(ctx, 'rows.write'), (c) =>
      respond(c, async () => {
        const table = tableOf(c);
        const row = table.rows.get(param.uid(c.req.param('rowId'), 'rowId'));
        if (!row) throw new AppwriteError('row_not_found');
        if (!allows(c.get('auth').caller, 'delete', applicable(table, row))) throw new AppwriteError('user_unauthorized');
        table.rows.delete(row.id);
        return [null, 204];
      }),
    );

    app.delete(rowsPath, requireScope(ctx, 'rows.write'), (c) =>
      respond(c, async () => {
        const params = await readDeleteParams(c);
        if (c.get('auth').caller.kind !== 'key') {
          const databaseId = param.uid(c.req.param('databaseId'), 'databaseId');
          throw new AppwriteError('database_not_found', `Database with the requested ID '${databaseId}' could not be found.`);
        }
        const table = tableOf(c);
        const filter = parseRowQueries(table.spec, params.queries);
        const deleted = [...table.rows.values()].filter(filter);
        for (const row of deleted) table.rows.delete(row.id);
        return [{ total: deleted.length, rows: deleted.map((row) => rowModel(table, row)) }, 200];
      }),
    );
  };
}

/**
 * The kit's own declared databases and tables (the rate-limit counters and the once-store records),
 * which the double serves unless given others;
 * a function's own tables (`appwriteTables` of its definition) are added by whoever creates the double.
 *
 * @example
 * ```ts
 * createDevAppwrite({ projectId, apiKeys, tables: { ...kitTables, tables: [...kitTables.tables, notesTable] } });
 * ```
 */
export const kitTables: { databases: readonly DoubleDatabaseSpec[]; tables: readonly DoubleTableSpec[] } = {
  databases: [rateLimitDatabaseSpec],
  tables: [rateLimitTableSpec, onceTableSpec],
};

/**
 * The TablesDB route module with the tables the double was given (`kitTables` by default).
 *
 * @example
 * ```ts
 * const routeModules = [registerUserRoutes, registerTablesDbRoutes];
 * ```
 */
export const registerTablesDbRoutes: RouteModule = (app, ctx: DevAppwriteContext) =>
  createTablesDbRoutes(ctx.tables.databases, ctx.tables.tables)(app, ctx);

/** Runs a route body; its `AppwriteError`s reach the app's error handler, which answers in Appwrite's shape. */
async function respond(c: Context, body: () => Promise<[unknown, number]>): Promise<Response> {
  const [payload, status] = await body();
  if (status === 204) return c.body(null, 204);
  return c.json(payload, status as ContentfulStatusCode);
}

/** `node-appwrite` sends a DELETE's parameters as a JSON body; other clients use the query string. */
async function readDeleteParams(c: Context): Promise<param.Params> {
  if (/^application\/json/i.test(c.req.header('content-type') ?? '')) {
    const text = await c.req.text();
    if (text.trim() !== '') {
      try {
        const body: unknown = JSON.parse(text);
        if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as param.Params;
      } catch {
        // Fall through to Appwrite's generic bad argument.
      }
      throw new AppwriteError('general_argument_invalid', 'Invalid JSON body.');
    }
  }
  return param.readParams(c);
}

function numeric(value: unknown, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number)) return number;
  throw new AppwriteError('general_argument_invalid', `Invalid \`${name}\` param: Value must be a valid number`);
}

/** The `permissions` parameter: `null` when absent, else read/update/delete/write permission strings. */
function permissionList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const valid =
    Array.isArray(value) &&
    value.every((entry) => typeof entry === 'string' && !entry.startsWith('create(') && rolesGranted([entry], 'read') !== null);
  if (valid) return [...(value as string[])];
  throw new AppwriteError(
    'general_argument_invalid',
    'Invalid `permissions` param: Permissions must be an array of strings such as read("any"), of type read, update, delete or write.',
  );
}

/**
 * The permissions a new row gets, as Appwrite's row creation decides them: a signed-in user's own
 * read, update and delete when none were asked for, nothing for a guest or a key; and a caller
 * without a key may grant only roles it holds (401 `user_unauthorized`).
 */
function rowPermissions(caller: Caller, requested: string[] | null): string[] {
  if (requested === null) {
    return caller.kind === 'user' ? ['read', 'update', 'delete'].map((action) => `${action}("user:${caller.user.id}")`) : [];
  }
  if (caller.kind === 'key') return requested;
  const held = callerRoles(caller);
  const granted = (['read', 'update', 'delete'] as const).flatMap((action) => rolesGranted(requested, action) ?? []);
  if (granted.some((role) => !held.includes(role))) {
    throw new AppwriteError('user_unauthorized', `Permissions must be one of: (${held.join(', ')})`);
  }
  return requested;
}

/** The permission lists that decide an action on an existing row. */
function applicable(table: TableState, row: RowRecord): (readonly string[])[] {
  return table.spec.rowSecurity ? [table.spec.$permissions, row.permissions] : [table.spec.$permissions];
}

/** utopia-php/database `Authorization`'s description of a refusal, which Appwrite puts in the message. */
function refusal(caller: Caller, action: 'create', permissions: readonly string[]): string {
  const roles = rolesGranted(permissions, action) ?? [];
  if (roles.length === 0) return `No permissions provided for action '${action}'`;
  return `Missing "${action}" permission for role "${roles.at(-1)}". Only "${JSON.stringify(callerRoles(caller))}" scopes are allowed and "${JSON.stringify(roles)}" was given.`;
}

/** utopia-php/database's `Structure` validator, for the column types the double supports. */
/** Appwrite's default page (`APP_LIMIT_LIST_DEFAULT`) and the largest one a query may ask for. */
const DEFAULT_LIST_LIMIT = 25;
const MAX_LIST_LIMIT = 5000;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function validateRow(spec: DoubleTableSpec, data: Record<string, unknown>): Record<string, unknown> {
  const invalid = (reason: string) => new AppwriteError('row_invalid_structure', `Invalid document structure: ${reason}`);
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    // `$`-prefixed keys are system attributes; Appwrite strips the ones a caller may send.
    if (key.startsWith('$')) continue;
    if (!spec.columns.some((column) => column.key === key)) throw invalid(`Unknown attribute: "${key}"`);
  }
  for (const column of spec.columns) {
    const value = data[column.key];
    if (value === undefined || value === null) {
      if (column.required) throw invalid(`Missing required attribute "${column.key}"`);
      values[column.key] = column.default ?? null;
      continue;
    }
    if (column.array) throw invalid(`Attribute "${column.key}": the double does not implement array columns`);
    values[column.key] = checkValue(column, value, invalid);
  }
  return values;
}

function checkValue(column: DoubleColumnSpec, value: unknown, invalid: (reason: string) => AppwriteError): unknown {
  const bad = (rule: string) => invalid(`Attribute "${column.key}" has invalid type. ${rule}`);
  switch (column.type) {
    case 'integer':
    case 'double': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (column.type === 'integer' && !Number.isInteger(value))) {
        throw bad(`Value must be a valid ${column.type === 'integer' ? 'integer' : 'float'}`);
      }
      const min = column.min ?? -Number.MAX_VALUE;
      const max = column.max ?? Number.MAX_VALUE;
      if (value < min || value > max) throw bad(`Value must be a valid range between ${min} and ${max}`);
      return value;
    }
    case 'datetime': {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw bad('Value must be valid date.');
      return appwriteDate(Date.parse(value));
    }
    case 'string': {
      if (typeof value !== 'string' || (column.size !== undefined && [...value].length > column.size)) {
        throw bad(`Value must be a valid string and no longer than ${column.size ?? 'the column size'} chars`);
      }
      return value;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') throw bad('Value must be a valid boolean');
      return value;
    }
    default:
      throw invalid(`Attribute "${column.key}": the double does not implement ${column.type} columns`);
  }
}

/** The `Row` model: system fields, then the row's columns. */
function rowModel(table: TableState, row: RowRecord): Record<string, unknown> {
  return {
    $id: row.id,
    $sequence: String(row.sequence),
    $tableId: table.spec.$id,
    $databaseId: table.spec.databaseId,
    $createdAt: appwriteDate(row.createdAt),
    $updatedAt: appwriteDate(row.updatedAt),
    $permissions: row.permissions,
    ...row.data,
  };
}

/**
 * Parses a bulk delete's queries into one row filter. Supports `equal`, `notEqual`, `lessThan`,
 * `lessThanEqual`, `greaterThan`, `greaterThanEqual` on columns and `$id`; anything else is refused
 * with 400 `general_query_invalid` rather than ignored (ignoring a filter would delete too much).
 */
function parseRowQueries(spec: DoubleTableSpec, raw: unknown): (row: RowRecord) => boolean {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const filters: ((row: RowRecord) => boolean)[] = [];
  for (const entry of list) {
    let query: unknown;
    try {
      query = typeof entry === 'string' ? JSON.parse(entry) : entry;
    } catch {
      throw new AppwriteError('general_query_invalid', `Invalid query: ${String(entry)}`);
    }
    const { method, attribute, values } = (query ?? {}) as { method?: unknown; attribute?: unknown; values?: unknown };
    if (typeof method !== 'string' || typeof attribute !== 'string' || !Array.isArray(values) || values.length === 0) {
      throw new AppwriteError('general_query_invalid', 'Invalid query');
    }
    const column = spec.columns.find((candidate) => candidate.key === attribute);
    if (!column && attribute !== '$id') {
      throw new AppwriteError('general_query_invalid', `Invalid query: Attribute not found in schema: ${attribute}`);
    }
    const read = (row: RowRecord): unknown => (attribute === '$id' ? row.id : row.data[attribute]);
    const comparable = (value: unknown): number | string | unknown =>
      column?.type === 'datetime' && typeof value === 'string' ? Date.parse(value) : value;
    const compare = (test: (actual: number | string, wanted: number | string) => boolean) => (row: RowRecord) => {
      const actual = comparable(read(row));
      const wanted = comparable(values[0]);
      return (typeof actual === 'number' || typeof actual === 'string') && typeof actual === typeof wanted
        ? test(actual, wanted as number | string)
        : false;
    };
    switch (method) {
      case 'equal':
        filters.push((row) => values.some((value) => comparable(value) === comparable(read(row))));
        break;
      case 'notEqual':
        filters.push((row) => !values.some((value) => comparable(value) === comparable(read(row))));
        break;
      case 'lessThan':
        filters.push(compare((a, b) => a < b));
        break;
      case 'lessThanEqual':
        filters.push(compare((a, b) => a <= b));
        break;
      case 'greaterThan':
        filters.push(compare((a, b) => a > b));
        break;
      case 'greaterThanEqual':
        filters.push(compare((a, b) => a >= b));
        break;
      default:
        throw new AppwriteError('general_query_invalid', `Invalid query method: ${method}`);
    }
  }
  return (row) => filters.every((filter) => filter(row));
}
