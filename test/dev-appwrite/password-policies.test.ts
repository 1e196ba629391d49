/**
 * Contract tests of the project password policies the embedded Appwrite models (Appwrite's
 * `auths.passwordHistory`, `auths.personalDataCheck`, `auths.passwordDictionary`), driven over HTTP
 * by the real `node-appwrite` through `users.create` and `users.updatePassword`, with Appwrite
 * 1.9's error types, statuses and messages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { failure, startDevAppwrite, type RunningDevAppwrite } from './harness.js';

const recentlyUsed = {
  code: 400,
  type: 'password_recently_used',
  message:
    'The password you are trying to use is similar to your previous password. For your security, please choose a different password and try again.',
};
const personalData = {
  code: 400,
  type: 'password_personal_data',
  message:
    'The password you are trying to use contains references to your name, email, phone or userID. For your security, please choose a different password and try again.',
};
// Appwrite's PasswordDictionary validator fails the `password` parameter; "265" is its own wording.
const inDictionary = {
  code: 400,
  type: 'general_argument_invalid',
  message: 'Invalid `password` param: Password must be between 8 and 265 characters long, and should not be one of the commonly used password.',
};

describe('without policies (Appwrite’s defaults)', () => {
  let dev: RunningDevAppwrite;
  beforeAll(async () => {
    dev = await startDevAppwrite();
  });
  afterAll(() => dev.close());

  it('accepts a reused password, personal data and common passwords', async () => {
    const users = dev.users();
    await users.create({ userId: 'alice', name: 'Alice', password: 'alice password' });
    await users.updatePassword({ userId: 'alice', password: 'alice password' });
    await users.updatePassword({ userId: 'alice', password: 'password123' });
  });
});

describe('password history', () => {
  let dev: RunningDevAppwrite;
  beforeAll(async () => {
    dev = await startDevAppwrite({ passwordPolicies: { passwordHistory: 2 } });
  });
  afterAll(() => dev.close());
  beforeEach(() => dev.reset());

  it('refuses the last n passwords, counting the one set at creation, with 400 password_recently_used', async () => {
    const users = dev.users();
    await users.create({ userId: 'alice', password: 'first password' });

    expect(await failure(users.updatePassword({ userId: 'alice', password: 'first password' }))).toMatchObject(recentlyUsed);
    await users.updatePassword({ userId: 'alice', password: 'second password' });
    await users.updatePassword({ userId: 'alice', password: 'third password' });
    expect(await failure(users.updatePassword({ userId: 'alice', password: 'second password' }))).toMatchObject(recentlyUsed);
    // Only the last two are remembered: the first is allowed again.
    await users.updatePassword({ userId: 'alice', password: 'first password' });
  });

  it('leaves the password unchanged when it refuses one', async () => {
    const users = dev.users();
    const created = await users.create({ userId: 'alice', password: 'first password' });
    await failure(users.updatePassword({ userId: 'alice', password: 'first password' }));

    expect((await users.get({ userId: 'alice' })).password).toBe(created.password);
  });
});

describe('personal data check', () => {
  let dev: RunningDevAppwrite;
  beforeAll(async () => {
    dev = await startDevAppwrite({ passwordPolicies: { personalDataCheck: true } });
  });
  afterAll(() => dev.close());
  beforeEach(() => dev.reset());

  it.each([
    ['the user ID', 'my Carol9 secret'],
    ['the name', 'x carol ann x!'],
    ['the email', 'CAROL.A@EXAMPLE.COM!'],
    ['the email’s local part', 'hello carol.a 123'],
    ['the phone without its plus', 'call 14155550100'],
    ['the phone', 'call +14155550100'],
  ])('refuses a password containing %s (case-insensitively) on create with 400 password_personal_data', async (_, password) => {
    const error = await failure(
      dev.users().create({ userId: 'carol9', email: 'carol.a@example.com', phone: '+14155550100', name: 'Carol Ann', password }),
    );
    expect(error).toMatchObject(personalData);
    expect(dev.store.users.has('carol9')).toBe(false);
  });

  it('checks a new password against the user’s stored details', async () => {
    const users = dev.users();
    await users.create({ userId: 'dave', name: 'Dave Lister', password: 'red dwarf forever' });

    expect(await failure(users.updatePassword({ userId: 'dave', password: 'dave lister was here' }))).toMatchObject(personalData);
    await users.updatePassword({ userId: 'dave', password: 'smoke me a kipper' });
  });

  it('accepts a user without a password', async () => {
    expect((await dev.users().create({ userId: 'erin', name: 'Erin' })).password).toBe('');
  });
});

describe('password dictionary', () => {
  let dev: RunningDevAppwrite;
  beforeAll(async () => {
    dev = await startDevAppwrite({ passwordPolicies: { passwordDictionary: ['password123', 'iloveyou1'] } });
  });
  afterAll(() => dev.close());
  beforeEach(() => dev.reset());

  it('refuses a listed password exactly as listed, on create and on update, as an invalid `password` argument', async () => {
    const users = dev.users();
    expect(await failure(users.create({ userId: 'frank', password: 'password123' }))).toMatchObject(inDictionary);

    await users.create({ userId: 'frank', password: 'Password123' });
    expect(await failure(users.updatePassword({ userId: 'frank', password: 'iloveyou1' }))).toMatchObject(inDictionary);
  });
});

describe('options', () => {
  it('refuses a history longer than Appwrite’s 20', () => {
    expect(() => createDevAppwrite({ projectId: 'p', apiKeys: {}, passwordPolicies: { passwordHistory: 21 } })).toThrow(/passwordHistory/);
  });
});
