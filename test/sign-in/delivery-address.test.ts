/**
 * Out-of-band delivery to an account without the address it needs: 503 delivery_unavailable saying
 * what is missing, logged as no_address, and nothing sent. Against the embedded Appwrite.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryPort } from '../../shared/sign-in/delivery-port.js';
import { startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform } from '../helpers/platform.js';
import { captureLogs, connectionTo } from './helpers.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

const record = { id: 'alice', name: '', enabled: true, passwordHash: null, hashAlgorithm: null, email: '', phone: '', phoneVerified: false, labels: [], prefs: {} };

describe('delivery to an account without an address', () => {
  it.each([
    ['email', 'email address'],
    ['sms', 'phone number'],
  ] as const)('%s: 503 delivery_unavailable naming the missing %s, logged as no_address, nothing sent', async (channel, missing) => {
    const { logger, lines } = captureLogs();
    const delivery = deliveryPort.create(createTestPlatform({ connection: connectionTo(dev), logger }).runtime);
    const token = { userId: 'alice', secret: 'x'.repeat(64), expire: new Date(dev.clock.now() + 600_000).toISOString() };
    const refusal = { type: 'delivery_unavailable', status: 503, message: `This account has no ${missing} to send a code to.` };

    const logged = `delivery_failed channel="${channel}" userId="alice" reason="no_address"`;

    expect(() => delivery[channel]!.assertReachable(record)).toThrow(expect.objectContaining(refusal));
    expect(lines).toEqual([logged]);
    await expect(delivery[channel]!.send(record, token)).rejects.toMatchObject(refusal);
    expect(dev.store.outbox.list()).toEqual([]);
    expect(lines).toEqual([logged, logged]);
  });
});

describe('delivery through the port', () => {
  it('says how many minutes the code has left on the runtime’s clock, not the wall clock', async () => {
    await dev.users().create({ userId: 'alice', email: 'alice@example.com' });
    const delivery = deliveryPort.create(createTestPlatform({ connection: connectionTo(dev), clock: dev.clock }).runtime);
    const token = { userId: 'alice', secret: '4f2a9c', expire: new Date(dev.clock.now() + 15 * 60_000).toISOString() };

    await delivery.email!.send({ ...record, email: 'alice@example.com' }, token);

    expect(dev.store.outbox.list()).toMatchObject([{ channel: 'email', to: 'alice@example.com', content: expect.stringContaining('It expires in 15 minutes.') }]);
  });
});
