/**
 * Usernames: how they are normalised, which ones are allowed, and the Appwrite user ID each maps to.
 *
 * @module
 */
import * as z from 'zod';
import { deriveUserId } from '../../shared/sign-in/user-id.js';

/** Shortest and longest allowed username, in characters after normalisation. */
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;

/**
 * NFKC then lower case, so `Ａlice`, `ALICE` and `alice` are one name. Only ASCII letters, digits,
 * `.`, `_` and `-` survive the schema below: a closed alphabet leaves no room for look-alike
 * names built from other scripts.
 *
 * @example
 * ```ts
 * normaliseUsername(' Ａlice '); // 'alice'
 * ```
 */
export function normaliseUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

/** A username as typed by the user, normalised and checked against the rules. */
export const usernameSchema = z
  .string()
  .max(256)
  .describe('3-32 characters of a-z, 0-9, ".", "_" and "-" after NFKC and lower-casing.')
  .transform(normaliseUsername)
  .pipe(
    z
      .string()
      .min(USERNAME_MIN, `must be at least ${USERNAME_MIN} characters`)
      .max(USERNAME_MAX, `must be at most ${USERNAME_MAX} characters`)
      .regex(
        /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/,
        'may contain only letters a-z, digits, ".", "_" and "-", and must start and end with a letter or digit',
      ),
  );

/**
 * The Appwrite user ID of a (normalised) username: `pw-` and 33 hex digits of SHA-256.
 *
 * Deterministic, so Appwrite's unique user ID is what makes usernames unique: two concurrent
 * registrations of one name cannot both succeed, with no check-then-create race. The hash keeps
 * IDs inside Appwrite's rules (36 characters of `[a-z0-9-]`) and apart from IDs made elsewhere.
 *
 * @example
 * ```ts
 * await userIdForUsername('alice'); // 'pw-35e7d6b72db03238fdcb1696cd3b5b6bf'
 * ```
 */
export function userIdForUsername(username: string): Promise<string> {
  return deriveUserId('pw', 'password-username', username);
}
