/**
 * Contract tests of listing and updating rows on the embedded Appwrite (`tablesDB.listRows`,
 * `tablesDB.updateRow`) with the real node-appwrite SDK, on a table declared like the kit's.
 */
import { Client, Query, TablesDB } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createDevAppwrite, kitTables, type DoubleTableSpec } from '../../shared/dev-appwrite/index.js';
import { failure } from './harness.js';

const notes: DoubleTableSpec = {
  $id: 'notes',
  $permissions: [],
  databaseId: kitTables.databases[0]!.$id,
  name: 'Notes',
  rowSecurity: false,
  columns: [
    { key: 'owner', type: 'string', required: true, array: false, size: 36, default: null },
    { key: 'count', type: 'integer', required: true, array: false, min: 0, max: 100, default: null },
  ],
};
const at = { databaseId: notes.databaseId, tableId: 'notes' };

let server: ServerType;
let tables: TablesDB;

beforeAll(async () => {
  const dev = createDevAppwrite({ projectId: 'p', apiKeys: { key: ['rows.read', 'rows.write'] }, tables: { databases: kitTables.databases, tables: [notes] } });
  server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  tables = new TablesDB(new Client().setEndpoint(`http://127.0.0.1:${port}/v1`).setProject('p').setKey('key'));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(async () => {
  await tables.deleteRows({ ...at });
  for (const [rowId, owner, count] of [['a', 'alice', 1], ['b', 'bob', 2], ['c', 'alice', 3]] as const) {
    await tables.createRow({ ...at, rowId, data: { owner, count } });
  }
});

describe('tablesDB.listRows', () => {
  it('filters with equal and pages with limit and offset', async () => {
    const alice = await tables.listRows({ ...at, queries: [Query.equal('owner', 'alice')] });
    expect(alice.total).toBe(2);
    expect(alice.rows.map((row) => row.$id)).toEqual(['a', 'c']);
    const page = await tables.listRows({ ...at, queries: [Query.equal('owner', 'alice'), Query.limit(1), Query.offset(1)] });
    expect(page).toMatchObject({ total: 2, rows: [{ $id: 'c', owner: 'alice', count: 3 }] });
    expect((await tables.listRows({ ...at })).total).toBe(3);
  });

  it('refuses an unknown column and a zero limit', async () => {
    expect(await failure(tables.listRows({ ...at, queries: [Query.equal('nope', 'x')] }))).toMatchObject({ code: 400, type: 'general_query_invalid' });
    expect(await failure(tables.listRows({ ...at, queries: [Query.limit(0)] }))).toMatchObject({ code: 400, type: 'general_query_invalid' });
  });
});

describe('tablesDB.updateRow', () => {
  it('replaces the named columns and keeps the others', async () => {
    expect(await tables.updateRow({ ...at, rowId: 'a', data: { count: 7 } as never })).toMatchObject({ $id: 'a', owner: 'alice', count: 7 });
    expect(await tables.getRow({ ...at, rowId: 'a' })).toMatchObject({ owner: 'alice', count: 7 });
  });

  it('refuses a missing row and a value outside the schema', async () => {
    expect(await failure(tables.updateRow({ ...at, rowId: 'zz', data: { count: 1 } as never }))).toMatchObject({ code: 404, type: 'row_not_found' });
    expect(await failure(tables.updateRow({ ...at, rowId: 'a', data: { count: 101 } as never }))).toMatchObject({ code: 400, type: 'row_invalid_structure' });
    expect(await tables.getRow({ ...at, rowId: 'a' })).toMatchObject({ count: 1 });
  });
});
