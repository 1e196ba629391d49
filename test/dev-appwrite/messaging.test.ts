/**
 * Contract tests of the embedded Appwrite's Messaging routes and its development outbox, driven
 * over HTTP by the real `node-appwrite` `Messaging` and `Users` services.
 */
import { Client, ID, Messaging, type Models, type Users } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, OUTBOX_LIMIT } from '../../shared/dev-appwrite/index.js';
import { failure, PROJECT_ID, READ_ONLY_KEY, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from './harness.js';

let dev: RunningDevAppwrite;
let users: Users;
let messaging: Messaging;

const NOW = '2026-01-15T12:00:00.000+00:00';
const MESSAGE_FIELDS = [
  '$id', '$createdAt', '$updatedAt', 'providerType', 'topics', 'users', 'targets', 'scheduledAt', 'deliveredAt', 'deliveryErrors',
  'deliveredTotal', 'data', 'status',
].sort();

beforeAll(async () => {
  dev = await startDevAppwrite();
  users = dev.users();
  messaging = dev.messaging();
});
afterAll(() => dev.close());
beforeEach(async () => {
  dev.reset();
  await users.create({ userId: 'alice', email: 'alice@example.com', phone: '+14155550100' });
  await users.create({ userId: 'bob' });
});

/** The ID of a user's automatic target of one type. */
async function targetOf(userId: string, providerType: 'email' | 'sms'): Promise<string> {
  const target = (await users.get({ userId })).targets.find((candidate) => candidate.providerType === providerType);
  if (!target) throw new Error(`${userId} has no ${providerType} target`);
  return target.$id;
}

/** The message as a later `getMessage` sees it, i.e. after the double's immediate delivery. */
function settled(message: Models.Message): Promise<Models.Message> {
  return messaging.getMessage({ messageId: message.$id });
}

/** A raw POST, for what the SDK refuses to send (it checks required parameters itself). */
function rawPost(path: string, body: unknown, key = SERVER_KEY): Promise<Response> {
  return fetch(`${dev.endpoint}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-appwrite-project': PROJECT_ID, 'x-appwrite-key': key },
    body: JSON.stringify(body),
  });
}

function messagingWithKey(key: string): Messaging {
  return new Messaging(new Client().setEndpoint(dev.endpoint).setProject(PROJECT_ID).setKey(key));
}

describe('messaging.createEmail', () => {
  it('answers 201 with a processing Message, then delivers to the user’s email target', async () => {
    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Your code', content: 'Code: 4f2a9c', users: ['alice'] });

    expect(Object.keys(message).sort()).toEqual(MESSAGE_FIELDS);
    expect(message).toEqual({
      $id: 'm1',
      $createdAt: NOW,
      $updatedAt: NOW,
      providerType: 'email',
      topics: [],
      users: ['alice'],
      targets: [],
      scheduledAt: null,
      deliveredAt: null,
      deliveryErrors: null,
      deliveredTotal: 0,
      data: { subject: 'Your code', content: 'Code: 4f2a9c', html: false, cc: [], bcc: [], attachments: [] },
      status: 'processing',
    });
    expect(dev.store.outbox.list()).toEqual([
      {
        messageId: 'm1',
        channel: 'email',
        userId: 'alice',
        to: 'alice@example.com',
        subject: 'Your code',
        content: 'Code: 4f2a9c',
        html: false,
        createdAt: NOW,
      },
    ]);
    expect(await settled(message)).toMatchObject({ status: 'sent', deliveredTotal: 1, deliveryErrors: [], deliveredAt: NOW });
  });

  it('records html: true and generates the ID for ID.unique()', async () => {
    const message = await messaging.createEmail({ messageId: ID.unique(), subject: 'Hi', content: '<b>4f2a9c</b>', html: true, users: ['alice'] });

    expect(message.$id).toMatch(/^[0-9a-f]{20}$/);
    expect(dev.store.outbox.list()).toMatchObject([{ messageId: message.$id, html: true, content: '<b>4f2a9c</b>' }]);
  });

  it('delivers to a target listed by ID, naming the user who owns it', async () => {
    const targetId = await targetOf('alice', 'email');

    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', targets: [targetId] });

    expect(message.targets).toEqual([targetId]);
    expect(dev.store.outbox.list()).toMatchObject([{ userId: 'alice', to: 'alice@example.com' }]);
    expect(await settled(message)).toMatchObject({ status: 'sent', deliveredTotal: 1 });
  });

  it('answers 201 for a user without an email, then fails with Appwrite’s worker text and sends nothing', async () => {
    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['bob'] });

    expect(message.status).toBe('processing');
    expect(await settled(message)).toMatchObject({
      status: 'failed',
      deliveryErrors: ['No valid recipients found.'],
      deliveredTotal: 0,
      deliveredAt: null,
    });
    expect(dev.store.outbox.list()).toEqual([]);
  });

  it('treats an unknown user ID and a topic as no recipients, not as a request error', async () => {
    const toNobody = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['nobody'] });
    const toTopic = await messaging.createEmail({ messageId: 'm2', subject: 'Hi', content: 'x', topics: ['news'] });

    expect((await settled(toNobody)).status).toBe('failed');
    expect((await settled(toTopic)).deliveryErrors).toEqual(['No valid recipients found.']);
  });

  it('is sent when the users with an email got it, even if others had none', async () => {
    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['bob', 'alice', 'nobody'] });

    expect(await settled(message)).toMatchObject({ status: 'sent', deliveredTotal: 1 });
    expect(dev.store.outbox.list().map((entry) => entry.to)).toEqual(['alice@example.com']);
  });

  it('sends twice to a user listed both by ID and by target, as Appwrite’s worker does', async () => {
    const targetId = await targetOf('alice', 'email');

    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice', 'alice'], targets: [targetId] });

    expect(await settled(message)).toMatchObject({ status: 'sent', deliveredTotal: 2 });
    expect(dev.store.outbox.list()).toHaveLength(2);
  });

  it('stores a draft, even without recipients, and does not send it', async () => {
    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', draft: true });

    expect(message.status).toBe('draft');
    expect(await settled(message)).toMatchObject({ status: 'draft', deliveryErrors: null });
    expect(dev.store.outbox.list()).toEqual([]);
  });

  it('stores a scheduled message with its time in Appwrite’s format and does not send it', async () => {
    const message = await messaging.createEmail({
      messageId: 'm1',
      subject: 'Hi',
      content: 'x',
      users: ['alice'],
      scheduledAt: '2026-01-16T09:30:00+02:00',
    });

    expect(message).toMatchObject({ status: 'scheduled', scheduledAt: '2026-01-16T07:30:00.000+00:00' });
    expect((await settled(message)).status).toBe('scheduled');
    expect(dev.store.outbox.list()).toEqual([]);
  });

  it('accepts the exact length limits of subject and content', async () => {
    const message = await messaging.createEmail({ messageId: 'm1', subject: 's'.repeat(998), content: 'c'.repeat(64_230), users: ['alice'] });

    expect(dev.store.outbox.list()[0]?.subject).toHaveLength(998);
    expect((await settled(message)).status).toBe('sent');
  });
});

describe('messaging.createEmail request errors', () => {
  it('answers 400 message_missing_target when topics, users and targets are all empty', async () => {
    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', cc: [await targetOf('alice', 'email')] }));

    expect(error).toMatchObject({
      code: 400,
      type: 'message_missing_target',
      message: 'Message with the requested ID has no recipients (topics or users or targets).',
    });
    expect(dev.store.messages.size).toBe(0);
  });

  it.each([
    ['an unknown target', async () => ({ targets: ['no-such-target'] })],
    ['an SMS target', async () => ({ targets: [await targetOf('alice', 'sms')] })],
    ['the same target twice', async () => ({ targets: [await targetOf('alice', 'email'), await targetOf('alice', 'email')] })],
    ['an SMS target in cc', async () => ({ users: ['alice'], cc: [await targetOf('alice', 'sms')] })],
    ['an unknown target in bcc', async () => ({ users: ['alice'], bcc: ['no-such-target'] })],
  ])('answers 400 message_target_not_email for %s', async (_, recipients) => {
    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', ...(await recipients()) }));

    expect(error).toMatchObject({ code: 400, type: 'message_target_not_email', message: 'Message with the target ID is not an email target.' });
    expect(dev.store.messages.size).toBe(0);
    expect(dev.store.outbox.list()).toEqual([]);
  });

  it('accepts an email target in cc, and keeps cc and bcc in data', async () => {
    const targetId = await targetOf('alice', 'email');

    const message = await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'], cc: [targetId] });

    expect(message.data).toMatchObject({ cc: [targetId], bcc: [] });
  });

  it('refuses the same target in cc and bcc: Appwrite counts them together', async () => {
    const targetId = await targetOf('alice', 'email');

    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'], cc: [targetId], bcc: [targetId] }));

    expect(error).toMatchObject({ code: 400, type: 'message_target_not_email' });
  });

  it('answers 404 storage_bucket_not_found for an attachment, since the double has no buckets', async () => {
    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'], attachments: ['docs:file1'] }));

    expect(error).toMatchObject({ code: 404, type: 'storage_bucket_not_found' });
  });

  it.each([
    ['messageId', 'starting with _', { messageId: '_leading' }],
    ['messageId', 'of 37 chars', { messageId: 'x'.repeat(37) }],
    ['subject', 'of 999 chars', { subject: 's'.repeat(999) }],
    ['content', 'of 64231 chars', { content: 'c'.repeat(64_231) }],
    ['users', 'with a space in an ID', { users: ['has space'] }],
    ['targets', 'with an ID starting with _', { targets: ['_bad'] }],
    ['attachments', 'without bucket:file', { attachments: ['no-colon'] }],
    ['scheduledAt', 'a millisecond in the past', { scheduledAt: '2026-01-15T11:59:59.999Z' }],
    ['scheduledAt', 'not ISO 8601', { scheduledAt: 'tomorrow' }],
    ['scheduledAt', 'empty', { scheduledAt: '' }],
  ])('answers 400 general_argument_invalid naming `%s` %s', async (name, _, override) => {
    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'], ...override }));

    expect(error).toMatchObject({ code: 400, type: 'general_argument_invalid' });
    expect(error.message).toContain(`Invalid \`${name}\` param`);
    expect(dev.store.messages.size).toBe(0);
  });

  it('words the past scheduledAt error as Appwrite’s Datetime validator does', async () => {
    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'], scheduledAt: '2020-01-01T00:00:00Z' }));

    expect(error.message).toBe(
      'Invalid `scheduledAt` param: Value must be valid date in the future and between 0000-01-01 00:00:00 and 9999-12-31 00:00:00. or null',
    );
  });

  it('answers 400 for a missing subject, which only a raw request can omit', async () => {
    const response = await rawPost('/messaging/messages/email', { messageId: 'm1', content: 'x', users: ['alice'] });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'general_argument_invalid', message: 'Param "subject" is not optional.' });
  });

  it('answers 409 message_already_exists for a reused messageId and leaves the first message alone', async () => {
    await messaging.createEmail({ messageId: 'm1', subject: 'First', content: 'x', users: ['alice'] });

    const error = await failure(messaging.createEmail({ messageId: 'm1', subject: 'Second', content: 'y', users: ['alice'] }));

    expect(error).toMatchObject({
      code: 409,
      type: 'message_already_exists',
      message: 'Message with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.',
    });
    expect((await messaging.getMessage({ messageId: 'm1' })).data).toMatchObject({ subject: 'First' });
    expect(dev.store.outbox.list()).toHaveLength(1);
  });

  it('answers 409 across channels too: message IDs share one collection', async () => {
    await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['alice'] });

    expect(await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'] }))).toMatchObject({ code: 409 });
  });

  it('answers 401 general_unauthorized_scope to a key without messages.write', async () => {
    const error = await failure(messagingWithKey(READ_ONLY_KEY).createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'] }));

    expect(error).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
    expect(error.message).toContain('missing scopes (["messages.write"])');
    expect(dev.store.outbox.list()).toEqual([]);
  });

  it('answers 401 general_unauthorized_scope to a guest', async () => {
    const guest = new Messaging(new Client().setEndpoint(dev.endpoint).setProject(PROJECT_ID));

    expect(await failure(guest.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'] }))).toMatchObject({
      code: 401,
      type: 'general_unauthorized_scope',
    });
  });
});

describe('messaging.createSMS', () => {
  it('answers 201 with an SMS Message, then delivers to the user’s phone', async () => {
    const message = await messaging.createSMS({ messageId: 'm1', content: 'Code: 4f2a9c', users: ['alice'] });

    expect(Object.keys(message).sort()).toEqual(MESSAGE_FIELDS);
    expect(message).toMatchObject({ $id: 'm1', providerType: 'sms', status: 'processing', data: { content: 'Code: 4f2a9c' } });
    expect(Object.keys(message.data)).toEqual(['content']);
    expect(dev.store.outbox.list()).toEqual([
      { messageId: 'm1', channel: 'sms', userId: 'alice', to: '+14155550100', content: 'Code: 4f2a9c', createdAt: NOW },
    ]);
    expect(await settled(message)).toMatchObject({ status: 'sent', deliveredTotal: 1, deliveredAt: NOW });
  });

  it('serves the deprecated createSms the same way', async () => {
    await messaging.createSms({ messageId: 'm1', content: 'x', targets: [await targetOf('alice', 'sms')] });

    expect(dev.store.outbox.list()).toMatchObject([{ channel: 'sms', to: '+14155550100' }]);
  });

  it('fails without an outbox entry for a user without a phone', async () => {
    const message = await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['bob'] });

    expect(await settled(message)).toMatchObject({ status: 'failed', deliveryErrors: ['No valid recipients found.'] });
    expect(dev.store.outbox.list()).toEqual([]);
  });

  it.each([
    ['an email target', async () => [await targetOf('alice', 'email')]],
    ['an unknown target', async () => ['no-such-target']],
  ])('answers 400 message_target_not_sms for %s', async (_, targets) => {
    const error = await failure(messaging.createSMS({ messageId: 'm1', content: 'x', targets: await targets() }));

    expect(error).toMatchObject({ code: 400, type: 'message_target_not_sms', message: 'Message with the target ID is not an SMS target.' });
  });

  it('answers 400 message_missing_target without recipients, and 400 for too long a content', async () => {
    expect(await failure(messaging.createSMS({ messageId: 'm1', content: 'x' }))).toMatchObject({ code: 400, type: 'message_missing_target' });
    expect(await failure(messaging.createSMS({ messageId: 'm1', content: 'c'.repeat(64_231), users: ['alice'] }))).toMatchObject({
      code: 400,
      type: 'general_argument_invalid',
    });
  });

  it('reports scheduledAt null for a scheduled SMS, as Appwrite 1.9.6 does, and does not send it', async () => {
    const message = await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['alice'], scheduledAt: '2026-01-16T00:00:00Z' });

    expect(message).toMatchObject({ status: 'scheduled', scheduledAt: null });
    expect(dev.store.outbox.list()).toEqual([]);
  });
});

describe('messaging.getMessage', () => {
  it('answers 404 message_not_found for an unknown ID', async () => {
    expect(await failure(messaging.getMessage({ messageId: 'nope' }))).toMatchObject({
      code: 404,
      type: 'message_not_found',
      message: 'Message with the requested ID could not be found.',
    });
  });

  it('answers 401 general_unauthorized_scope to a key without messages.read', async () => {
    await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['alice'] });

    const error = await failure(messagingWithKey(READ_ONLY_KEY).getMessage({ messageId: 'm1' }));

    expect(error).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
    expect(error.message).toContain('missing scopes (["messages.read"])');
  });
});

describe('targets follow the user’s email and phone', () => {
  it('exist for users created with an email or phone, one of each type', async () => {
    expect((await users.get({ userId: 'alice' })).targets.map((target) => [target.providerType, target.identifier])).toEqual([
      ['email', 'alice@example.com'],
      ['sms', '+14155550100'],
    ]);
  });

  it('keep their ID when the email changes, so messages by user or by target reach the new address', async () => {
    const targetId = await targetOf('alice', 'email');
    dev.clock.advance(60 * 1000);

    await users.updateEmail({ userId: 'alice', email: 'Alice.New@Example.com' });
    await messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', users: ['alice'] });
    await messaging.createEmail({ messageId: 'm2', subject: 'Hi', content: 'x', targets: [targetId] });

    expect(await targetOf('alice', 'email')).toBe(targetId);
    expect(dev.store.outbox.list().map((entry) => entry.to)).toEqual(['alice.new@example.com', 'alice.new@example.com']);
  });

  it('disappear when the phone is cleared, and come back when one is set', async () => {
    const oldTarget = await targetOf('alice', 'sms');

    await users.updatePhone({ userId: 'alice', number: '' });
    const afterClear = await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['alice'] });
    const byOldTarget = await failure(messaging.createSMS({ messageId: 'm2', content: 'x', targets: [oldTarget] }));
    await users.updatePhone({ userId: 'bob', number: '+14155550111' });
    await messaging.createSMS({ messageId: 'm3', content: 'x', users: ['bob'] });

    expect((await settled(afterClear)).status).toBe('failed');
    expect(byOldTarget).toMatchObject({ code: 400, type: 'message_target_not_sms' });
    expect(dev.store.outbox.list()).toMatchObject([{ messageId: 'm3', userId: 'bob', to: '+14155550111' }]);
  });

  it('go with a deleted user', async () => {
    const targetId = await targetOf('alice', 'email');

    await users.delete({ userId: 'alice' });

    expect(await failure(messaging.createEmail({ messageId: 'm1', subject: 'Hi', content: 'x', targets: [targetId] }))).toMatchObject({
      type: 'message_target_not_email',
    });
  });
});

describe('the outbox', () => {
  it(`keeps the last ${OUTBOX_LIMIT} deliveries, newest last`, async () => {
    const total = OUTBOX_LIMIT + 5;
    const send = (n: number) => messaging.createSMS({ messageId: `m${n}`, content: `#${n}`, users: ['alice'] });
    // The oldest ten go one by one, so which five fall out is certain; the rest in parallel batches to spare time.
    for (let n = 0; n < 10; n++) await send(n);
    for (let start = 10; start < total; start += 100) {
      await Promise.all(Array.from({ length: Math.min(100, total - start) }, (_, i) => send(start + i)));
    }

    const entries = dev.store.outbox.list();
    const numbers = entries.map((entry) => Number(entry.content.slice(1)));
    expect(entries).toHaveLength(OUTBOX_LIMIT);
    expect(numbers.slice(0, 5)).toEqual([5, 6, 7, 8, 9]);
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: OUTBOX_LIMIT }, (_, i) => i + 5));
    expect(numbers.at(-1)).toBeGreaterThanOrEqual(total - 100);
    expect(dev.store.messages.size).toBe(total);
  });

  it('hands out frozen snapshots that later deliveries do not change', async () => {
    await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['alice'] });
    const snapshot = dev.store.outbox.list();

    await messaging.createSMS({ messageId: 'm2', content: 'y', users: ['alice'] });

    expect(snapshot).toHaveLength(1);
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot[0])).toBe(true);
    expect(dev.store.outbox.list().map((entry) => entry.messageId)).toEqual(['m1', 'm2']);
  });

  it('is emptied by clear() and by the store’s clear()', async () => {
    await messaging.createSMS({ messageId: 'm1', content: 'x', users: ['alice'] });
    dev.store.outbox.clear();
    expect(dev.store.outbox.list()).toEqual([]);
    expect(dev.store.messages.size).toBe(1);

    await messaging.createSMS({ messageId: 'm2', content: 'x', users: ['alice'] });
    dev.store.clear();
    expect(dev.store.outbox.list()).toEqual([]);
    expect(dev.store.messages.size).toBe(0);
  });

  it('drops the oldest entries past a smaller limit', () => {
    const outbox = new Outbox(2);
    const entry = { messageId: 'm', channel: 'sms' as const, userId: 'u', to: '+14155550100', createdAt: NOW };

    for (const content of ['a', 'b', 'c']) outbox.record({ ...entry, content });

    expect(outbox.list().map((recorded) => recorded.content)).toEqual(['b', 'c']);
  });
});
