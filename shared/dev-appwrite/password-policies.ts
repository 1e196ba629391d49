/**
 * A project's password policies as Appwrite applies them in `users.create` and
 * `users.updatePassword` (`src/Appwrite/Auth/Validator/PasswordDictionary.php`, `PersonalData.php`,
 * `PasswordHistory.php`; `Modules/Users/Base.php`, `Users/Password/Update.php`):
 *
 * - dictionary: a parameter validator, so a listed password is 400 `general_argument_invalid` on
 *   `password`, before anything else is looked at;
 * - personal data: 400 `password_personal_data` when the lower-cased password contains the user's
 *   ID, email, the email's local part, name, or phone with or without its `+`;
 * - history: 400 `password_recently_used` when the new password verifies against one of the last
 *   n hashes, the one set at creation included.
 *
 * @module
 */
import { verify } from '@node-rs/argon2';
import type { DevAppwriteContext } from './context.js';
import { AppwriteError, invalidParam } from './errors.js';
import * as param from './params.js';

/**
 * A plaintext password parameter as Appwrite's validators see it: the length rule, then the
 * project's dictionary. The "265" is Appwrite's own wording.
 *
 * @example
 * ```ts
 * const plaintext = checkedPassword(ctx, params.password); // throws 400 for 'short' or a listed password
 * ```
 */
export function checkedPassword(ctx: DevAppwriteContext, value: unknown): string {
  const plaintext = param.password(value, 'password');
  if (ctx.passwordPolicies.passwordDictionary.has(plaintext)) {
    throw invalidParam('password', 'Password must be between 8 and 265 characters long, and should not be one of the commonly used password.');
  }
  return plaintext;
}

/** What the personal data check compares a password with. */
export interface PersonalData {
  id: string;
  email: string | null;
  name: string;
  phone: string | null;
}

/**
 * Throws 400 `password_personal_data` when the check is on and the password contains the user's
 * details. Like Appwrite's validator on `updatePassword`, an empty password (removing it) fails
 * too; `users.create` passes `allowEmpty` for a user created without one.
 *
 * @example
 * ```ts
 * checkPersonalData(ctx, 'alice rocks 123', { id: 'alice', email: null, name: '', phone: null }, { allowEmpty: true }); // throws
 * ```
 */
export function checkPersonalData(ctx: DevAppwriteContext, password: string, user: PersonalData, options: { allowEmpty: boolean }): void {
  if (!ctx.passwordPolicies.personalDataCheck) return;
  if (password === '' && options.allowEmpty) return;
  const lowered = asciiLower(password);
  const email = asciiLower(user.email ?? '');
  const phone = user.phone ?? '';
  const details = [user.id, email, email.split('@')[0] ?? '', user.name, phone.replace(/\+/g, ''), phone].map(asciiLower);
  if (password === '' || details.some((detail) => detail !== '' && lowered.includes(detail))) {
    throw new AppwriteError('password_personal_data');
  }
}

/**
 * The user's password history after setting `newHash`, or 400 `password_recently_used` when the
 * new password verifies against a remembered hash. Empty when the policy is off.
 *
 * @example
 * ```ts
 * user.passwordHistory = await nextPasswordHistory(ctx, user.passwordHistory, plaintext, phc);
 * ```
 */
export async function nextPasswordHistory(ctx: DevAppwriteContext, history: readonly string[], plaintext: string, newHash: string): Promise<string[]> {
  const limit = ctx.passwordPolicies.passwordHistory;
  if (limit === 0) return [...history];
  for (const hash of history) {
    if (await verify(hash, plaintext)) throw new AppwriteError('password_recently_used');
  }
  return [...history, newHash].slice(-limit);
}

/** PHP's `strtolower`, which lower-cases ASCII letters only. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
