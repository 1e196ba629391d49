/**
 * `getOrCreateUser` against the embedded Appwrite over loopback: one user however many first
 * sign-ins race, a clash on the email is a 409 and never a second account, and an unreachable
 * Appwrite fails closed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { KitError } from '../../shared/errors.js';
import { getOrCreateUser, type ResolvedUser } from '../../shared/sign-in/resolve.js';
import { deriveUserId } from '../../shared/sign-in/user-id.js';
import { READ_ONLY_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { captureLogs, connectionTo, unreachableConnection } from './helpers.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

describe('getOrCreateUser', () => {
  it('creates the user on the first sign-in and finds it on the next', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    const userId = await deriveUserId('t', 'test-email', 'carol@example.com');

    const first = await getOrCreateUser(users, userId, { email: 'carol@example.com', name: 'Carol' });
    expect(first.created).toBe(true);
    expect(first.user).toMatchObject({ id: userId, email: 'carol@example.com', name: 'Carol', enabled: true });

    const again = await getOrCreateUser(users, userId, { email: 'carol@example.com', name: 'Carol' });
    expect(again).toEqual({ user: first.user, created: false });
    expect((await dev.users().list()).total).toBe(1);
  });

  it('makes exactly one user from 50 concurrent first sign-ins with one ID', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    const userId = await deriveUserId('t', 'test-email', 'race@example.com');

    const settled = await Promise.allSettled(
      Array.from({ length: 50 }, () => getOrCreateUser(users, userId, { email: 'race@example.com' })),
    );

    const rejected = settled.filter((result) => result.status === 'rejected');
    expect(rejected, 'no sign-in may fail').toEqual([]);
    const resolved = settled.map((result) => (result as PromiseFulfilledResult<ResolvedUser>).value);
    expect(resolved.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(resolved.map((result) => result.user.id))).toEqual(new Set([userId]));
    expect(resolved.every((result) => result.user.email === 'race@example.com')).toBe(true);

    const listed = await dev.users().list();
    expect(listed.total).toBe(1);
    expect(listed.users.map((user) => user.$id)).toEqual([userId]);
  });

  it('returns a blocked user as it is, without creating another', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    const userId = await deriveUserId('t', 'test-email', 'blocked@example.com');
    await dev.users().create({ userId, email: 'blocked@example.com' });
    await dev.users().updateStatus({ userId, status: false });

    const resolved = await getOrCreateUser(users, userId, { email: 'blocked@example.com' });
    expect(resolved.created).toBe(false);
    expect(resolved.user.enabled).toBe(false);
    expect((await dev.users().list()).total).toBe(1);
  });

  it('answers 409 account_conflict when another user already holds the email, and makes no second user', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    await dev.users().create({ userId: 'someone-else', email: 'shared@example.com' });
    const userId = await deriveUserId('t', 'test-email', 'shared@example.com');

    const error = await getOrCreateUser(users, userId, { email: 'shared@example.com' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KitError);
    expect(error).toMatchObject({
      type: 'account_conflict',
      status: 409,
      message: 'Another account already uses this email address or phone number.',
    });

    const listed = await dev.users().list();
    expect(listed.users.map((user) => user.$id)).toEqual(['someone-else']);
  });

  it('answers 409 account_conflict for a phone held by another user, too', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    await dev.users().create({ userId: 'someone-else', phone: '+14155550100' });

    const error = await getOrCreateUser(users, 'ph-test', { phone: '+14155550100' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ type: 'account_conflict', status: 409 });
    expect((await dev.users().list()).total).toBe(1);
  });

  it('only reads an existing user: a key without users.write signs it in', async () => {
    const userId = await deriveUserId('t', 'test-email', 'dora@example.com');
    await dev.users().create({ userId, email: 'dora@example.com' });
    const readOnly = createAppwriteUsers(connectionTo(dev, READ_ONLY_KEY), captureLogs().logger);

    expect(await getOrCreateUser(readOnly, userId, { email: 'dora@example.com' })).toMatchObject({ user: { id: userId }, created: false });
  });

  it('passes on a create Appwrite refused for any reason but an existing user, never calling it a conflict', async () => {
    const { logger, lines } = captureLogs();
    const readOnly = createAppwriteUsers(connectionTo(dev, READ_ONLY_KEY), logger);

    const error = await getOrCreateUser(readOnly, 'newcomer', { email: 'newcomer@example.com' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KitError);
    expect(error).not.toMatchObject({ type: 'account_conflict' });
    expect(error).toMatchObject({ type: 'appwrite_error' });
    expect(lines).toEqual([expect.stringMatching(/^appwrite_rejected_request operation="users\.create" status=401 appwriteType="general_unauthorized_scope" /)]);
    expect(dev.store.users.size).toBe(0);
  });

  it('fails with 503 appwrite_unavailable when Appwrite cannot be reached', async () => {
    const { logger, lines } = captureLogs();
    const users = createAppwriteUsers(unreachableConnection, logger);

    const error = await getOrCreateUser(users, 'anyone', { email: 'anyone@example.com' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KitError);
    expect(error).toMatchObject({ type: 'appwrite_unavailable', status: 503 });
    expect(lines.some((line) => line.startsWith('appwrite_call_failed') && line.includes('reason="unreachable"'))).toBe(true);
  });
});
