/**
 * `updateLabels`, `updatePrefs`, `prefs` on the record, `markPhoneVerified`, and `deleteSessions`
 * for a user that does not exist, in the Appwrite users directory against the embedded Appwrite
 * over loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAppwriteUsers } from '../../shared/appwrite/users.js';
import { startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { captureLogs, connectionTo, unreachableConnection } from './helpers.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(async () => {
  dev.reset();
  await dev.users().create({ userId: 'alice', email: 'alice@example.com' });
});

describe('updateLabels', () => {
  it('replaces the whole set, as users.get then shows it', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    await users.updateLabels('alice', ['vip', 'auth0admin']);
    expect((await users.get('alice'))!.labels).toEqual(['vip', 'auth0admin']);
    await users.updateLabels('alice', ['vip']);
    expect((await dev.users().get({ userId: 'alice' })).labels).toEqual(['vip']);
  });

  it('502 appwrite_error for a label Appwrite refuses, logged with the operation', async () => {
    const { logger, lines } = captureLogs();
    const users = createAppwriteUsers(connectionTo(dev), logger);
    await expect(users.updateLabels('alice', ['not-alphanumeric'])).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(lines.join('\n')).toMatch(/appwrite_rejected_request operation="users.updateLabels" status=400/);
  });
});

describe('updatePrefs and the record’s prefs', () => {
  it('replaces the whole object; get returns it', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    expect((await users.get('alice'))!.prefs).toEqual({});
    await users.updatePrefs('alice', { theme: 'dark', auth0: { plan: 'pro' } });
    expect((await users.get('alice'))!.prefs).toEqual({ theme: 'dark', auth0: { plan: 'pro' } });
    await users.updatePrefs('alice', { auth0: {} });
    expect((await dev.users().getPrefs({ userId: 'alice' }))).toEqual({ auth0: {} });
  });

  it('fails closed when Appwrite is unreachable', async () => {
    const users = createAppwriteUsers(unreachableConnection, captureLogs().logger);
    await expect(users.updatePrefs('alice', {})).rejects.toMatchObject({ type: 'appwrite_unavailable', status: 503 });
  });
});

describe('markPhoneVerified and the record’s phoneVerified', () => {
  it('sets phoneVerification, as the record then shows it', async () => {
    await dev.users().create({ userId: 'bob', phone: '+14155550100' });
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    expect((await users.get('bob'))!.phoneVerified).toBe(false);
    await users.markPhoneVerified('bob');
    expect((await users.get('bob'))!.phoneVerified).toBe(true);
    expect((await dev.users().get({ userId: 'bob' })).phoneVerification).toBe(true);
  });

  it('502 appwrite_error for a refused key, logged with the operation', async () => {
    const { logger, lines } = captureLogs();
    const users = createAppwriteUsers(connectionTo(dev, 'not-a-key'), logger);
    await expect(users.markPhoneVerified('alice')).rejects.toMatchObject({ type: 'appwrite_error', status: 502 });
    expect(lines.join('\n')).toContain('operation="users.updatePhoneVerification"');
  });
});

describe('deleteSessions', () => {
  it('resolves for a user that does not exist: no user, no sessions', async () => {
    const users = createAppwriteUsers(connectionTo(dev), captureLogs().logger);
    await expect(users.deleteSessions('nobody')).resolves.toBeUndefined();
  });

  it('still fails on a refused key', async () => {
    const users = createAppwriteUsers(connectionTo(dev, 'not-a-key'), captureLogs().logger);
    await expect(users.deleteSessions('alice')).rejects.toMatchObject({ type: 'appwrite_error' });
  });
});
