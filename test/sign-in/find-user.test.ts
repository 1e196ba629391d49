/**
 * `findByEmail` / `findByPhone` of the Appwrite users directory against the embedded Appwrite over
 * loopback: the one user holding an address, `null` for none, and failures typed as everywhere else.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { KitError } from '../../shared/errors.js';
import { startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { captureLogs, connectionTo, unreachableConnection } from './helpers.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(async () => {
  dev.reset();
  await dev.users().create({ userId: 'alice', email: 'alice@example.com', phone: '+14155550100', name: 'Alice' });
  await dev.users().create({ userId: 'bob', email: 'bob@example.com' });
});

describe('findByEmail and findByPhone', () => {
  it('find the one user holding the address', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    expect(await users.findByEmail('bob@example.com')).toMatchObject({ id: 'bob', email: 'bob@example.com', phone: '' });
    expect(await users.findByPhone('+14155550100')).toMatchObject({ id: 'alice', email: 'alice@example.com', name: 'Alice' });
  });

  it('answer null when nobody holds it, whatever others hold', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    expect(await users.findByEmail('carol@example.com')).toBeNull();
    expect(await users.findByEmail('alice@example')).toBeNull();
    expect(await users.findByPhone('+14155550101')).toBeNull();
    // Bob has no phone: an empty number must not match him.
    expect(await users.findByPhone('')).toBeNull();
  });

  it('fail closed: 503 appwrite_unavailable when Appwrite is unreachable', async () => {
    const users = createAppwriteUsers(unreachableConnection, captureLogs().logger);
    const error = await users.findByEmail('alice@example.com').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KitError);
    expect(error).toMatchObject({ type: 'appwrite_unavailable', status: 503 });
  });

  it('502 appwrite_error for a key Appwrite refuses, logged with the operation', async () => {
    const { logger, lines } = captureLogs();
    const users = createAppwriteUsers(connectionTo(dev, 'not-a-key'), logger);
    const error = await users.findByPhone('+14155550100').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(lines.join('\n')).toMatch(/appwrite_rejected_request operation="users.list"/);
  });
});
