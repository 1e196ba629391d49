/**
 * Contract tests of `users.createToken` on the embedded Appwrite, driven by the real `node-appwrite`.
 */
import { createHash } from 'node:crypto';
import type { Users } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure, startDevAppwrite, type RunningDevAppwrite } from './harness.js';

let dev: RunningDevAppwrite;
let users: Users;

beforeAll(async () => {
  dev = await startDevAppwrite();
  users = dev.users();
});
afterAll(() => dev.close());
beforeEach(async () => {
  dev.reset();
  await users.create({ userId: 'alice' });
});

describe('users.createToken', () => {
  it('mints a 6-character lower-case hex secret valid for 900 s by default', async () => {
    const token = await users.createToken({ userId: 'alice' });

    expect(Object.keys(token).sort()).toEqual(['$createdAt', '$id', 'expire', 'phrase', 'secret', 'userId']);
    expect(token).toMatchObject({
      userId: 'alice',
      phrase: '',
      $createdAt: '2026-01-15T12:00:00.000+00:00',
      expire: '2026-01-15T12:15:00.000+00:00',
    });
    expect(token.secret).toMatch(/^[0-9a-f]{6}$/);
  });

  it.each([4, 64, 128])('honours length %i exactly', async (length) => {
    expect((await users.createToken({ userId: 'alice', length })).secret).toMatch(new RegExp(`^[0-9a-f]{${length}}$`));
  });

  it.each([
    [60, '2026-01-15T12:01:00.000+00:00'],
    [31_536_000, '2027-01-15T12:00:00.000+00:00'],
  ])('honours expire %i s', async (expire, expected) => {
    expect((await users.createToken({ userId: 'alice', expire })).expire).toBe(expected);
  });

  it.each([
    ['length', { length: 3 }, '`length`'],
    ['length', { length: 129 }, '`length`'],
    ['expire', { expire: 59 }, '`expire`'],
    ['expire', { expire: 31_536_001 }, '`expire`'],
  ])('refuses an out-of-range %s with 400 general_argument_invalid', async (_, bounds, named) => {
    const error = await failure(users.createToken({ userId: 'alice', ...bounds }));

    expect(error).toMatchObject({ code: 400, type: 'general_argument_invalid' });
    expect(error.message).toContain(named);
    expect(dev.store.tokens.size).toBe(0);
  });

  it('answers 404 user_not_found for an unknown user', async () => {
    expect(await failure(users.createToken({ userId: 'nobody' }))).toMatchObject({ code: 404, type: 'user_not_found' });
  });

  it('keeps only the sha256 of the secret', async () => {
    const { secret } = await users.createToken({ userId: 'alice', length: 32 });
    const [stored] = dev.store.tokensOf('alice');

    expect(stored?.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify([...dev.store.tokens.values()])).not.toContain(secret);
  });

  it('draws each secret afresh', async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 20; i++) secrets.add((await users.createToken({ userId: 'alice', length: 32 })).secret);

    expect(secrets.size).toBe(20);
  });
});
