/**
 * Deterministic user IDs (`shared/sign-in/user-id.ts`): the password function's IDs unchanged by
 * the move onto `deriveUserId`, Appwrite's ID rules, and no two subjects sharing an ID.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { userIdForUsername } from '../../functions/password/username.js';
import { deriveUserId, userIdForOidcSubject, userIdForPhone } from '../../shared/sign-in/user-id.js';

/** Appwrite's custom ID rule as the kit uses it: at most 36 of `[a-z0-9-]` (no leading dash). */
const appwriteId = /^[a-z0-9][a-z0-9-]{0,35}$/;

/**
 * The password function's ID as it was computed before the sign-in pipeline existed
 * (`functions/password/username.ts` at 86846e9^): `pw-` and the first 33 hex digits of
 * SHA-256(`password-username:<name>`). Users registered then must keep signing in to the same user.
 */
function legacyPasswordUserId(username: string): string {
  return `pw-${createHash('sha256').update(`password-username:${username}`).digest('hex').slice(0, 33)}`;
}

describe('deriveUserId', () => {
  it('keeps the IDs the password function gave before the pipeline', async () => {
    expect(await deriveUserId('pw', 'password-username', 'alice')).toBe('pw-35e7d6b72db03238fdcb1696cd3b5b6bf');
    for (const name of ['alice', 'bob', 'a.b_c-d', 'x'.repeat(32), 'ünïcode']) {
      expect(await deriveUserId('pw', 'password-username', name)).toBe(legacyPasswordUserId(name));
      expect(await userIdForUsername(name)).toBe(legacyPasswordUserId(name));
    }
  });

  it('fills Appwrite’s 36 characters of [a-z0-9-] whatever the prefix length', async () => {
    for (const prefix of ['a', 'pw', 'ph', 'oidc', 'abcdefgh', 'x1']) {
      const id = await deriveUserId(prefix, 'ns', 'subject');
      expect(id).toMatch(appwriteId);
      expect(id).toHaveLength(36);
      expect(id.startsWith(`${prefix}-`)).toBe(true);
    }
  });

  it('is the same for one subject and different across subjects and namespaces', async () => {
    const id = await deriveUserId('t', 'ns', 'alice');
    expect(await deriveUserId('t', 'ns', 'alice')).toBe(id);
    expect(await deriveUserId('t', 'ns', 'Alice')).not.toBe(id);
    expect(await deriveUserId('t', 'ns', 'bob')).not.toBe(id);
    expect(await deriveUserId('t', 'other', 'alice')).not.toBe(id);
    expect(await deriveUserId('u', 'ns', 'alice')).not.toBe(id);
  });

  it('refuses bad prefixes and an empty subject', async () => {
    for (const prefix of ['', 'PW', '1pw', 'p-w', 'p_w', 'abcdefghi', ' pw', 'pw ']) {
      await expect(deriveUserId(prefix, 'ns', 'alice'), `prefix ${JSON.stringify(prefix)}`).rejects.toThrow(
        new TypeError('A user ID prefix is 1-8 lower-case letters or digits, starting with a letter.'),
      );
    }
    await expect(deriveUserId('pw', 'ns', '')).rejects.toThrow(new TypeError('A user ID needs a non-empty subject.'));
  });
});

describe('userIdForOidcSubject', () => {
  it('is a valid Appwrite ID, stable for one (iss, sub)', async () => {
    const id = await userIdForOidcSubject('https://issuer.example/', 'auth0|64f1');
    expect(id).toMatch(appwriteId);
    expect(id).toHaveLength(36);
    expect(id.startsWith('oidc-')).toBe(true);
    expect(await userIdForOidcSubject('https://issuer.example/', 'auth0|64f1')).toBe(id);
  });

  it('cannot be collided by moving characters between issuer and subject', async () => {
    const pairs: [string, string][] = [
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['a', 'bc'],
      ['ab', 'c'],
      ['a","b', 'c'],
      ['a', '","b","c'],
      ['https://issuer.example/', 'x'],
      ['https://issuer.example', '/x'],
    ];
    const ids = await Promise.all(pairs.map(([iss, sub]) => userIdForOidcSubject(iss, sub)));
    expect(new Set(ids).size).toBe(pairs.length);
  });

  it('differs from a username or phone that spells the same text', async () => {
    const oidc = await userIdForOidcSubject('iss', 'sub');
    expect(await deriveUserId('oidc', 'password-username', JSON.stringify(['iss', 'sub']))).not.toBe(oidc);
  });
});

describe('userIdForPhone', () => {
  it('derives a valid Appwrite ID from an E.164 number', async () => {
    const id = await userIdForPhone('+14155550123');
    expect(id).toMatch(appwriteId);
    expect(id).toHaveLength(36);
    expect(id.startsWith('ph-')).toBe(true);
    expect(await userIdForPhone('+14155550123')).toBe(id);
    expect(await userIdForPhone('+14155550124')).not.toBe(id);
    // Shortest and longest E.164 Appwrite accepts: + and 7 to 15 digits.
    await expect(userIdForPhone('+1234567')).resolves.toMatch(appwriteId);
    await expect(userIdForPhone('+123456789012345')).resolves.toMatch(appwriteId);
  });

  it('refuses anything that is not already E.164', () => {
    for (const phone of [
      '',
      '14155550123',
      '+1 415 555 0123',
      '+1-415-555-0123',
      '(415) 555-0123',
      '+04155550123',
      '+123456',
      '+1234567890123456',
      '0014155550123',
      '+1415555012a',
      ' +14155550123',
      '+14155550123\n',
    ]) {
      expect(() => userIdForPhone(phone), `phone ${JSON.stringify(phone)}`).toThrow(
        new TypeError('Normalise the phone number to E.164 before deriving its user ID.'),
      );
    }
  });
});
