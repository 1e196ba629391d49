/**
 * Contract tests of the embedded Appwrite's Users API, driven over HTTP by the real `node-appwrite`.
 */
import { verify } from '@node-rs/argon2';
import { ID, Query, Users, Client } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHEAP_HASHING, failure, PROJECT_ID, READ_ONLY_KEY, startDevAppwrite, type RunningDevAppwrite } from './harness.js';

let dev: RunningDevAppwrite;
let users: Users;

beforeAll(async () => {
  dev = await startDevAppwrite();
  users = dev.users();
});
afterAll(() => dev.close());
beforeEach(() => dev.reset());

describe('users.create', () => {
  it('creates a user shaped like Appwrite’s User model, with the email lower-cased', async () => {
    const user = await users.create({ userId: 'alice', email: 'Alice@Example.COM', phone: '+14155550100', password: 'correct horse', name: 'Alice' });

    expect(Object.keys(user).sort()).toEqual(
      [
        '$id', '$createdAt', '$updatedAt', 'name', 'password', 'hash', 'hashOptions', 'registration', 'status', 'labels',
        'passwordUpdate', 'email', 'phone', 'emailVerification', 'phoneVerification', 'mfa', 'prefs', 'targets', 'accessedAt',
      ].sort(),
    );
    expect(user).toMatchObject({
      $id: 'alice',
      $createdAt: '2026-01-15T12:00:00.000+00:00',
      name: 'Alice',
      email: 'alice@example.com',
      phone: '+14155550100',
      status: true,
      labels: [],
      emailVerification: false,
      phoneVerification: false,
      mfa: false,
      prefs: {},
      registration: '2026-01-15T12:00:00.000+00:00',
      passwordUpdate: '2026-01-15T12:00:00.000+00:00',
      hash: 'argon2',
      hashOptions: { type: 'argon2', memory_cost: CHEAP_HASHING.memoryCost, time_cost: CHEAP_HASHING.timeCost, threads: CHEAP_HASHING.parallelism },
    });
    expect(user.targets.map((target) => [target.providerType, target.identifier])).toEqual([
      ['email', 'alice@example.com'],
      ['sms', '+14155550100'],
    ]);
  });

  it('stores the password as an argon2id PHC hash that verifies, never as plaintext', async () => {
    const user = await users.create({ userId: 'alice', password: 'correct horse' });

    expect(user.password).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await verify(user.password ?? '', 'correct horse')).toBe(true);
    expect(await verify(user.password ?? '', 'wrong horse')).toBe(false);
    expect(JSON.stringify([...dev.store.users.values()])).not.toContain('correct horse');
  });

  it('creates a user with nothing but an ID (username-only users)', async () => {
    const user = await users.create({ userId: 'bob' });

    expect(user).toMatchObject({ $id: 'bob', email: '', phone: '', password: '', name: '', passwordUpdate: '', targets: [] });
  });

  it('generates an ID for ID.unique() and for the literal unique()', async () => {
    const fromSdk = await users.create({ userId: ID.unique() });
    const fromServer = await users.create({ userId: 'unique()' });

    expect(fromSdk.$id).toMatch(/^[0-9a-f]{20}$/);
    expect(fromServer.$id).toMatch(/^[0-9a-f]{20}$/);
    expect(fromServer.$id).not.toBe('unique()');
  });

  it.each(['a.b-c_D9', 'x'.repeat(36)])('accepts the valid ID %s', async (userId) => {
    expect((await users.create({ userId })).$id).toBe(userId);
  });

  it.each(['_leading', '.leading', '-leading', 'x'.repeat(37), 'auth0|abc', 'has space', ''])('rejects the ID %j', async (userId) => {
    const error = await failure(users.create({ userId }));
    expect(error).toMatchObject({ code: 400, type: 'general_argument_invalid' });
    expect(error.message).toContain('`userId`');
  });

  it('refuses a duplicate ID, email or phone with 409 user_already_exists', async () => {
    await users.create({ userId: 'alice', email: 'alice@example.com', phone: '+14155550100' });

    for (const clash of [{ userId: 'alice' }, { userId: 'bob', email: 'ALICE@example.com' }, { userId: 'carol', phone: '+14155550100' }]) {
      expect(await failure(users.create(clash))).toMatchObject({ code: 409, type: 'user_already_exists' });
    }
    expect(dev.store.users.size).toBe(1);
  });

  it.each([
    ['7 characters', 'x'.repeat(7)],
    ['257 characters', 'x'.repeat(257)],
    ['86 three-byte characters (258 bytes; Appwrite counts bytes)', '密'.repeat(86)],
  ])('refuses a password of %s with a message naming `password`', async (_, password) => {
    const error = await failure(users.create({ userId: 'alice', password }));

    expect(error).toMatchObject({ code: 400, type: 'general_argument_invalid' });
    expect(error.message).toContain('`password`');
    expect(dev.store.users.size).toBe(0);
  });

  it.each([8, 256])('accepts a password of %i characters', async (length) => {
    expect((await users.create({ userId: 'alice', password: 'p'.repeat(length) })).hash).toBe('argon2');
  });

  it.each([['not-an-email', { email: 'not-an-email' }], ['a phone without +', { phone: '14155550100' }]])('refuses %s', async (_, field) => {
    expect(await failure(users.create({ userId: 'alice', ...field }))).toMatchObject({ code: 400, type: 'general_argument_invalid' });
  });
});

describe('users.get and users.delete', () => {
  it('gets a user by ID and answers 404 user_not_found for an unknown one', async () => {
    await users.create({ userId: 'alice', name: 'Alice' });

    expect((await users.get({ userId: 'alice' })).name).toBe('Alice');
    expect(await failure(users.get({ userId: 'nobody' }))).toMatchObject({ code: 404, type: 'user_not_found' });
  });

  it('deletes a user with its tokens', async () => {
    await users.create({ userId: 'alice' });
    await users.createToken({ userId: 'alice' });

    await users.delete({ userId: 'alice' });

    expect(await failure(users.get({ userId: 'alice' }))).toMatchObject({ code: 404, type: 'user_not_found' });
    expect(dev.store.tokensOf('alice')).toEqual([]);
    expect(await failure(users.delete({ userId: 'alice' }))).toMatchObject({ code: 404, type: 'user_not_found' });
  });
});

describe('users.list', () => {
  beforeEach(async () => {
    await users.create({ userId: 'alice', email: 'alice@example.com', phone: '+14155550100', name: 'Alice' });
    await users.create({ userId: 'bob', email: 'bob@example.com', name: 'Bob' });
    await users.create({ userId: 'carol', name: 'Carol' });
  });

  it('lists everyone in creation order with the total', async () => {
    const list = await users.list();

    expect(list.total).toBe(3);
    expect(list.users.map((user) => user.$id)).toEqual(['alice', 'bob', 'carol']);
  });

  it('filters with equal on email, phone and name, as the kit looks users up', async () => {
    const byEmail = await users.list({ queries: [Query.equal('email', ['bob@example.com']), Query.limit(1)] });
    const byPhone = await users.list({ queries: [Query.equal('phone', ['+14155550100'])] });
    const byName = await users.list({ queries: [Query.equal('name', ['Carol', 'Bob'])] });

    expect(byEmail.users.map((user) => user.$id)).toEqual(['bob']);
    expect(byPhone.users.map((user) => user.$id)).toEqual(['alice']);
    expect(byName.users.map((user) => user.$id)).toEqual(['bob', 'carol']);
    expect((await users.list({ queries: [Query.equal('email', ['nobody@example.com'])] })).total).toBe(0);
  });

  it('filters on status and labels', async () => {
    await users.updateStatus({ userId: 'bob', status: false });
    await users.updateLabels({ userId: 'carol', labels: ['admin'] });

    expect((await users.list({ queries: [Query.equal('status', [false])] })).users.map((user) => user.$id)).toEqual(['bob']);
    expect((await users.list({ queries: [Query.equal('labels', ['admin'])] })).users.map((user) => user.$id)).toEqual(['carol']);
    expect((await users.list({ queries: [Query.contains('labels', ['admin'])] })).users.map((user) => user.$id)).toEqual(['carol']);
  });

  it('searches ID, email, phone and name', async () => {
    expect((await users.list({ search: 'bob@example' })).users.map((user) => user.$id)).toEqual(['bob']);
    expect((await users.list({ search: '4155550100' })).users.map((user) => user.$id)).toEqual(['alice']);
    expect((await users.list({ search: 'carol' })).users.map((user) => user.$id)).toEqual(['carol']);
  });

  it('pages with limit and offset while total counts every match', async () => {
    const page = await users.list({ queries: [Query.limit(1), Query.offset(1)] });

    expect(page.total).toBe(3);
    expect(page.users.map((user) => user.$id)).toEqual(['bob']);
  });

  it('answers total 0 when asked not to count', async () => {
    expect((await users.list({ total: false })).total).toBe(0);
  });

  it('refuses unknown attributes and unsupported methods with 400 general_query_invalid', async () => {
    expect(await failure(users.list({ queries: [Query.equal('$id', ['alice'])] }))).toMatchObject({ code: 400, type: 'general_query_invalid' });
    expect(await failure(users.list({ queries: [Query.orderDesc('name')] }))).toMatchObject({ code: 400, type: 'general_query_invalid' });
  });
});

describe('user updates', () => {
  beforeEach(async () => {
    await users.create({ userId: 'alice', email: 'alice@example.com', phone: '+14155550100', password: 'first password' });
    await users.create({ userId: 'bob', email: 'bob@example.com', phone: '+14155550199' });
  });

  it('blocks and unblocks', async () => {
    dev.clock.advance(10 * 1000);
    const blocked = await users.updateStatus({ userId: 'alice', status: false });

    expect(blocked.status).toBe(false);
    expect(blocked.$updatedAt).toBe('2026-01-15T12:00:10.000+00:00');
    expect((await users.updateStatus({ userId: 'alice', status: true })).status).toBe(true);
  });

  it('replaces labels, de-duplicated, and refuses non-alphanumeric ones', async () => {
    await users.updateLabels({ userId: 'alice', labels: ['a', 'b'] });

    expect((await users.updateLabels({ userId: 'alice', labels: ['vip', 'vip', 'beta'] })).labels).toEqual(['vip', 'beta']);
    expect(await failure(users.updateLabels({ userId: 'alice', labels: ['not ok'] }))).toMatchObject({ code: 400, type: 'general_argument_invalid' });
  });

  it('reads and replaces prefs as a whole', async () => {
    expect(await users.getPrefs({ userId: 'alice' })).toEqual({});
    await users.updatePrefs({ userId: 'alice', prefs: { theme: 'dark', locale: 'de' } });

    expect(await users.updatePrefs({ userId: 'alice', prefs: { theme: 'light' } })).toEqual({ theme: 'light' });
    expect((await users.get({ userId: 'alice' })).prefs).toEqual({ theme: 'light' });
  });

  it('renames', async () => {
    expect((await users.updateName({ userId: 'alice', name: 'Alice A.' })).name).toBe('Alice A.');
  });

  it('changes the email (lower-cased, unverified again) and refuses a taken one with user_email_already_exists', async () => {
    await users.updateEmailVerification({ userId: 'alice', emailVerification: true });

    const updated = await users.updateEmail({ userId: 'alice', email: 'New@Example.com' });

    expect(updated).toMatchObject({ email: 'new@example.com', emailVerification: false });
    expect(updated.targets.find((target) => target.providerType === 'email')?.identifier).toBe('new@example.com');
    expect(await failure(users.updateEmail({ userId: 'alice', email: 'bob@example.com' }))).toMatchObject({ code: 409, type: 'user_email_already_exists' });
  });

  it('changes the phone through the `number` parameter and refuses a taken one with user_phone_already_exists', async () => {
    expect((await users.updatePhone({ userId: 'alice', number: '+14155550111' })).phone).toBe('+14155550111');
    expect(await failure(users.updatePhone({ userId: 'alice', number: '+14155550199' }))).toMatchObject({ code: 409, type: 'user_phone_already_exists' });
  });

  it('sets email and phone verification', async () => {
    expect((await users.updateEmailVerification({ userId: 'alice', emailVerification: true })).emailVerification).toBe(true);
    expect((await users.updatePhoneVerification({ userId: 'alice', phoneVerification: true })).phoneVerification).toBe(true);
  });

  it('replaces the password with a new hash and refuses a short one', async () => {
    const before = await users.get({ userId: 'alice' });
    dev.clock.advance(60 * 1000);

    const after = await users.updatePassword({ userId: 'alice', password: 'second password' });

    expect(after.password).not.toBe(before.password);
    expect(await verify(after.password ?? '', 'second password')).toBe(true);
    expect(after.passwordUpdate).toBe('2026-01-15T12:01:00.000+00:00');
    const error = await failure(users.updatePassword({ userId: 'alice', password: 'short' }));
    expect(error).toMatchObject({ code: 400, type: 'general_argument_invalid' });
    expect(error.message).toContain('`password`');
  });

  it('answers 404 user_not_found when updating an unknown user', async () => {
    expect(await failure(users.updateStatus({ userId: 'nobody', status: false }))).toMatchObject({ code: 404, type: 'user_not_found' });
  });
});

describe('authentication of server calls', () => {
  const usersWith = (configure: (client: Client) => Client) => new Users(configure(new Client().setEndpoint(dev.endpoint)));

  it('answers 401 general_unauthorized_scope without a key (guests lack users.read)', async () => {
    const error = await failure(usersWith((client) => client.setProject(PROJECT_ID)).list());

    expect(error).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
    expect(error.message).toBe('User (role: guests) missing scopes (["users.read"])');
  });

  it('answers 401 user_unauthorized for a key the project does not have', async () => {
    expect(await failure(usersWith((client) => client.setProject(PROJECT_ID).setKey('wrong')).list())).toMatchObject({
      code: 401,
      type: 'user_unauthorized',
    });
  });

  it('answers 401 general_unauthorized_scope for a key lacking the scope', async () => {
    const readOnly = usersWith((client) => client.setProject(PROJECT_ID).setKey(READ_ONLY_KEY));

    expect((await readOnly.list()).total).toBe(0);
    expect(await failure(readOnly.create({ userId: 'alice' }))).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('answers 404 project_not_found for another project', async () => {
    expect(await failure(usersWith((client) => client.setProject('other').setKey('x')).list())).toMatchObject({
      code: 404,
      type: 'project_not_found',
    });
  });

  it('treats a missing project as Appwrite’s console project, where the key is unknown', async () => {
    const response = await fetch(`${dev.endpoint}/users`, { headers: { 'X-Appwrite-Key': 'server-key-with-all-scopes' } });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'user_unauthorized' });
  });
});

describe('HTTP surface', () => {
  it('answers unknown routes with 404 general_route_not_found in Appwrite’s error shape', async () => {
    const response = await fetch(`${dev.endpoint}/nope`, { headers: { 'X-Appwrite-Project': PROJECT_ID } });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      message: 'The requested route was not found. Please refer to the API docs and try again.',
      code: 404,
      type: 'general_route_not_found',
      version: '1.9.6',
    });
  });

  it('refuses a body that is not JSON with 400 general_argument_invalid', async () => {
    const response = await fetch(`${dev.endpoint}/users`, {
      method: 'POST',
      headers: { 'X-Appwrite-Project': PROJECT_ID, 'X-Appwrite-Key': 'server-key-with-all-scopes', 'content-type': 'application/json' },
      body: '{not json',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'general_argument_invalid' });
  });
});

describe('Appwrite’s default argon2 parameters', () => {
  let realDev: RunningDevAppwrite;
  beforeAll(async () => {
    realDev = await startDevAppwrite({ hashing: 'appwrite-default' });
  });
  afterAll(() => realDev.close());

  it('hashes with argon2id m=65536, t=4, p=3 unless told otherwise', async () => {
    const user = await realDev.users().create({ userId: 'alice', password: 'correct horse' });

    expect(user.password).toMatch(/^\$argon2id\$v=19\$m=65536,t=4,p=3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // utopia-php/auth `Argon2` stores and Appwrite returns its PHP option names, snake_case.
    expect(user.hashOptions).toEqual({ type: 'argon2', memory_cost: 65536, time_cost: 4, threads: 3 });
    expect(await verify(user.password ?? '', 'correct horse')).toBe(true);
  });
});
