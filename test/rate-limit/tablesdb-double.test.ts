// The TablesDB routes of the embedded Appwrite double, through the real node-appwrite SDK: each
// answer is the one Appwrite 1.9 gives (see shared/dev-appwrite/tablesdb.ts for the sources).
import { AppwriteException, Query, type Models } from 'node-appwrite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_DATABASE_ID as databaseId, RATE_LIMIT_TABLE_ID as tableId } from '../../shared/rate-limit/appwrite-table.js';
import { READ_ONLY_KEY, startTablesDouble, type RunningTablesDouble } from './tables-double.js';

const start = Date.UTC(2026, 0, 15, 12, 0, 0);
let double: RunningTablesDouble;
beforeAll(async () => {
  double = await startTablesDouble(start);
});
afterAll(() => double.close());

async function failure(call: Promise<unknown>): Promise<AppwriteException> {
  try {
    await call;
  } catch (error) {
    if (error instanceof AppwriteException) return error;
    throw error;
  }
  throw new Error('Expected the call to fail.');
}

const expiresAt = new Date(start + 60_000).toISOString();

describe('TablesDB double', () => {
  it('creates a row, returns the Row model, and refuses the same ID again with 409 row_already_exists', async () => {
    const tables = double.tables();
    const row = await tables.createRow({ databaseId, tableId, rowId: 'create-1', data: { hits: 1, expiresAt } });
    expect(row).toMatchObject({
      $id: 'create-1',
      $tableId: tableId,
      $databaseId: databaseId,
      $createdAt: '2026-01-15T12:00:00.000+00:00',
      $permissions: [],
      hits: 1,
      expiresAt: '2026-01-15T12:01:00.000+00:00',
    });
    expect(typeof row.$sequence).toBe('string');
    const duplicate = await failure(tables.createRow<Models.DefaultRow>({ databaseId, tableId, rowId: 'create-1', data: { hits: 1, expiresAt } }));
    expect(duplicate).toMatchObject({ code: 409, type: 'row_already_exists' });
    expect(JSON.parse(duplicate.response)).toMatchObject({ code: 409, type: 'row_already_exists', version: '1.9.6' });
  });

  it('validates row structure against the declared columns', async () => {
    const tables = double.tables();
    for (const data of [{ hits: 1 }, { hits: 1, expiresAt, extra: true }, { hits: 'one', expiresAt }, { hits: -1, expiresAt }, { hits: 1.5, expiresAt }, { hits: 1, expiresAt: 'soon' }]) {
      expect(await failure(tables.createRow<Models.DefaultRow>({ databaseId, tableId, rowId: 'structure', data })), JSON.stringify(data)).toMatchObject({
        code: 400,
        type: 'row_invalid_structure',
      });
    }
  });

  it('answers unknown databases and tables with their own 404s', async () => {
    const tables = double.tables();
    expect(await failure(tables.getRow({ databaseId: 'nope', tableId, rowId: 'x' }))).toMatchObject({ code: 404, type: 'database_not_found' });
    expect(await failure(tables.getRow({ databaseId, tableId: 'nope', rowId: 'x' }))).toMatchObject({ code: 404, type: 'table_not_found' });
    expect(await failure(tables.getRow({ databaseId, tableId, rowId: 'missing' }))).toMatchObject({ code: 404, type: 'row_not_found' });
  });

  it('increments with max: refuses with 400 column_limit_exceeded when current + value > max', async () => {
    const tables = double.tables();
    await tables.createRow({ databaseId, tableId, rowId: 'inc-1', data: { hits: 1, expiresAt } });
    expect(await tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-1', column: 'hits', value: 1, max: 3 })).toMatchObject({ hits: 2 });
    expect(await tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-1', column: 'hits', value: 1, max: 3 })).toMatchObject({ hits: 3 });
    const refused = await failure(tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-1', column: 'hits', value: 1, max: 3 }));
    expect(refused).toMatchObject({ code: 400, type: 'column_limit_exceeded' });
    expect(await tables.getRow({ databaseId, tableId, rowId: 'inc-1' })).toMatchObject({ hits: 3 });
    // Without max there is no bound.
    expect(await tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-1', column: 'hits', value: 2 })).toMatchObject({ hits: 5 });
  });

  it('answers a missing row or column on increment with 404 column_not_found, as Appwrite does', async () => {
    const tables = double.tables();
    const missingRow = await failure(tables.incrementRowColumn({ databaseId, tableId, rowId: 'never-created', column: 'hits', value: 1, max: 3 }));
    expect(missingRow).toMatchObject({ code: 404, type: 'column_not_found' });
    await tables.createRow({ databaseId, tableId, rowId: 'inc-2', data: { hits: 0, expiresAt } });
    const missingColumn = await failure(tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-2', column: 'nope', value: 1 }));
    expect(missingColumn).toMatchObject({ code: 404, type: 'column_not_found' });
    const notNumber = await failure(tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-2', column: 'expiresAt', value: 1 }));
    expect(notNumber).toMatchObject({ code: 400, type: 'attribute_type_invalid' });
    const zero = await failure(tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-2', column: 'hits', value: 0 }));
    expect(zero).toMatchObject({ code: 400, type: 'general_argument_invalid' });
  });

  it('increments atomically: of many concurrent increments with max, exactly max - start succeed', async () => {
    const tables = double.tables();
    await tables.createRow({ databaseId, tableId, rowId: 'inc-race', data: { hits: 0, expiresAt } });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => tables.incrementRowColumn({ databaseId, tableId, rowId: 'inc-race', column: 'hits', value: 1, max: 9 })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(9);
    expect(await tables.getRow({ databaseId, tableId, rowId: 'inc-race' })).toMatchObject({ hits: 9 });
  });

  it('decrements with min: refuses with 400 column_limit_exceeded when current - value < min; a missing row is 404 column_not_found', async () => {
    const tables = double.tables();
    await tables.createRow({ databaseId, tableId, rowId: 'dec-1', data: { hits: 2, expiresAt } });
    expect(await tables.decrementRowColumn({ databaseId, tableId, rowId: 'dec-1', column: 'hits', value: 1, min: 0 })).toMatchObject({ hits: 1 });
    expect(await tables.decrementRowColumn({ databaseId, tableId, rowId: 'dec-1', column: 'hits', value: 1, min: 0 })).toMatchObject({ hits: 0 });
    const refused = await failure(tables.decrementRowColumn({ databaseId, tableId, rowId: 'dec-1', column: 'hits', value: 1, min: 0 }));
    expect(refused).toMatchObject({ code: 400, type: 'column_limit_exceeded' });
    expect(await tables.getRow({ databaseId, tableId, rowId: 'dec-1' })).toMatchObject({ hits: 0 });
    const missingRow = await failure(tables.decrementRowColumn({ databaseId, tableId, rowId: 'never-created', column: 'hits', value: 1, min: 0 }));
    expect(missingRow).toMatchObject({ code: 404, type: 'column_not_found' });
    const zero = await failure(tables.decrementRowColumn({ databaseId, tableId, rowId: 'dec-1', column: 'hits', value: 0 }));
    expect(zero).toMatchObject({ code: 400, type: 'general_argument_invalid' });
    expect(await failure(double.tables(READ_ONLY_KEY).decrementRowColumn({ databaseId, tableId, rowId: 'dec-1', column: 'hits' }))).toMatchObject({ code: 401 });
  });

  it('deletes one row (204, then 404 row_not_found) and rows by query', async () => {
    const tables = double.tables();
    await tables.createRow({ databaseId, tableId, rowId: 'del-1', data: { hits: 1, expiresAt } });
    await tables.deleteRow({ databaseId, tableId, rowId: 'del-1' });
    expect(await failure(tables.deleteRow({ databaseId, tableId, rowId: 'del-1' }))).toMatchObject({ code: 404, type: 'row_not_found' });

    await tables.createRow({ databaseId, tableId, rowId: 'old-1', data: { hits: 1, expiresAt: '2020-01-01T00:00:00.000Z' } });
    await tables.createRow({ databaseId, tableId, rowId: 'old-2', data: { hits: 1, expiresAt: '2020-01-02T00:00:00.000Z' } });
    const deleted = await tables.deleteRows({ databaseId, tableId, queries: [Query.lessThan('expiresAt', '2021-01-01T00:00:00.000Z')] });
    expect(deleted.total).toBe(2);
    expect(deleted.rows.map((row) => row.$id).sort()).toEqual(['old-1', 'old-2']);
    expect(await tables.getRow({ databaseId, tableId, rowId: 'inc-1' })).toMatchObject({ $id: 'inc-1' });
    const badQuery = await failure(tables.deleteRows({ databaseId, tableId, queries: [Query.search('expiresAt', 'x')] }));
    expect(badQuery).toMatchObject({ code: 400, type: 'general_query_invalid' });
  });

  it('requires rows.write to write and rows.read to read', async () => {
    const readOnly = double.tables(READ_ONLY_KEY);
    const refused = await failure(readOnly.createRow<Models.DefaultRow>({ databaseId, tableId, rowId: 'scope', data: { hits: 1, expiresAt } }));
    expect(refused).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
    expect(await failure(readOnly.incrementRowColumn({ databaseId, tableId, rowId: 'inc-1', column: 'hits' }))).toMatchObject({ code: 401 });
    expect(await readOnly.getRow({ databaseId, tableId, rowId: 'inc-1' })).toMatchObject({ $id: 'inc-1' });
    expect(await failure(double.tables('not-a-key').getRow({ databaseId, tableId, rowId: 'inc-1' }))).toMatchObject({ code: 401 });
  });
});
