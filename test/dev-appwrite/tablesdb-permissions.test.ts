/**
 * Appwrite's row permissions in the embedded Appwrite, over real HTTP: table `$permissions`, row
 * permissions when the table has `rowSecurity`, and what a caller without a key may grant. (The
 * kit's own tables, which declare none, are covered in `exposure.test.ts`.)
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevAppwrite, kitTables, type DoubleTableSpec } from '../../shared/dev-appwrite/index.js';
import { manualClock } from '../helpers/clock.js';
import { START_MS } from './harness.js';

const KEY = 'rows-and-users-key';
const table = (spec: Omit<DoubleTableSpec, 'databaseId' | 'columns'>): DoubleTableSpec => ({
  ...spec,
  databaseId: 'app',
  columns: [{ key: 'likes', type: 'integer', required: false, default: 0 }],
});
/** Anyone reads, signed-in users create, and each row's own permissions decide the rest. */
const notes = table({ $id: 'notes', name: 'Notes', $permissions: ['read("any")', 'create("users")'], rowSecurity: true });
/** Signed-in users read every row; row permissions are ignored. */
const board = table({ $id: 'board', name: 'Board', $permissions: ['read("users")'], rowSecurity: false });

let server: ServerType;
let endpoint: string;
beforeAll(async () => {
  const { app } = createDevAppwrite({
    projectId: 'perms',
    apiKeys: { [KEY]: ['users.read', 'users.write', 'sessions.write', 'rows.read', 'rows.write'] },
    clock: manualClock(START_MS),
    passwordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    tables: { databases: [...kitTables.databases, { $id: 'app', name: 'App' }], tables: [notes, board] },
  });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

type As = { key: true } | { session: string } | Record<string, never>;
const guest: As = {};
const withKey: As = { key: true };

async function call(as: As, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { 'x-appwrite-project': 'perms' };
  if ('key' in as) headers['x-appwrite-key'] = KEY;
  if ('session' in as) headers['x-appwrite-session'] = as.session;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${endpoint}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (response.status === 204 ? null : await response.json()) as Record<string, unknown> };
}

/** A signed-in user: created with the key, its session exchanged server-side. */
async function signedIn(userId: string): Promise<As> {
  await call(withKey, 'POST', '/users', { userId });
  const token = await call(withKey, 'POST', `/users/${userId}/tokens`, {});
  const session = await call(withKey, 'POST', '/account/sessions/token', { userId, secret: token.body.secret });
  const as = { session: session.body.secret as string };
  expect((await call(as, 'GET', '/account')).body.$id).toBe(userId);
  return as;
}

const rows = (tableId: string) => `/tablesdb/app/tables/${tableId}/rows`;

describe('a table with row security', () => {
  let owner: As;
  let other: As;
  beforeAll(async () => {
    owner = await signedIn('owner');
    other = await signedIn('other');
  });

  it('refuses a guest the create permission it lacks, with Appwrite’s description', async () => {
    const created = await call(guest, 'POST', rows('notes'), { rowId: 'by-guest', data: {} });
    expect(created).toEqual({
      status: 401,
      body: expect.objectContaining({
        type: 'user_unauthorized',
        message: 'Missing "create" permission for role "users". Only "["any","guests"]" scopes are allowed and "["users"]" was given.',
      }),
    });
  });

  it('gives a user’s new row that user’s read, update and delete when it asks for none', async () => {
    const created = await call(owner, 'POST', rows('notes'), { rowId: 'mine', data: {} });
    expect(created.status).toBe(201);
    expect(created.body.$permissions).toEqual(['read("user:owner")', 'update("user:owner")', 'delete("user:owner")']);
  });

  it('lets a user grant only roles it holds', async () => {
    const stolen = await call(owner, 'POST', rows('notes'), { rowId: 'grab', data: {}, permissions: ['delete("user:other")'] });
    expect(stolen.status).toBe(401);
    expect(stolen.body).toMatchObject({ type: 'user_unauthorized' });
    expect(String(stolen.body.message)).toMatch(/^Permissions must be one of: \(any, users, .*user:owner/);

    const shared = await call(owner, 'POST', rows('notes'), { rowId: 'shared', data: {}, permissions: ['read("any")', 'write("users")'] });
    expect(shared.status).toBe(201);
  });

  it('lets the row’s permissions decide updates and deletes, the table’s reads', async () => {
    await call(owner, 'POST', rows('notes'), { rowId: 'private', data: {} });

    expect((await call(other, 'GET', `${rows('notes')}/private`)).status).toBe(200);
    expect(await call(other, 'PATCH', `${rows('notes')}/private/likes/increment`, { value: 1 })).toMatchObject({ status: 401, body: { type: 'user_unauthorized' } });
    expect(await call(other, 'DELETE', `${rows('notes')}/private`)).toMatchObject({ status: 401, body: { type: 'user_unauthorized' } });
    expect(await call(owner, 'PATCH', `${rows('notes')}/private/likes/increment`, { value: 1 })).toMatchObject({ status: 200, body: { likes: 1 } });
    expect((await call(owner, 'DELETE', `${rows('notes')}/private`)).status).toBe(204);
  });

  it('keeps bulk delete to API keys', async () => {
    expect(await call(owner, 'DELETE', rows('notes'))).toMatchObject({ status: 404, body: { type: 'database_not_found' } });
    expect((await call(withKey, 'DELETE', rows('notes'))).status).toBe(200);
  });
});

describe('a table without row security', () => {
  it('applies the table’s permissions alone, whatever the row’s say', async () => {
    const reader = await signedIn('reader');
    await call(withKey, 'POST', rows('board'), { rowId: 'notice', data: {}, permissions: ['read("any")', 'delete("any")'] });

    expect(await call(guest, 'GET', `${rows('board')}/notice`)).toMatchObject({ status: 404, body: { type: 'row_not_found' } });
    expect(await call(reader, 'GET', `${rows('board')}/notice`)).toMatchObject({ status: 200, body: { $id: 'notice' } });
    expect(await call(reader, 'DELETE', `${rows('board')}/notice`)).toMatchObject({ status: 401, body: { type: 'user_unauthorized' } });
  });
});
