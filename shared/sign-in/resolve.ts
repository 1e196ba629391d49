/**
 * Finding the Appwrite user behind a proved identity, creating it on first sign-in.
 *
 * @module
 */
import { KitError } from '../errors.js';
import { UserAlreadyExistsError, type NewUser, type UserRecord, type UsersDirectory } from '../users.js';

/** The user, and whether this call created it. */
export interface ResolvedUser {
  user: UserRecord;
  created: boolean;
}

/**
 * The user with `userId`, created with `profile` when there is none. Safe under concurrent first
 * sign-ins: the ID is deterministic (`user-id.ts`), so Appwrite lets exactly one create succeed and
 * the others read that user back. A blocked user is returned as it is; `issueToken` refuses it.
 *
 * A create refused because another user already holds the email or phone (a different ID) cannot
 * be read back: that is 409 `account_conflict`, never a second account.
 *
 * @example
 * ```ts
 * const { user } = await getOrCreateUser(users, await userIdForPhone('+14155550123'), { phone: '+14155550123' });
 * ```
 */
export async function getOrCreateUser(users: UsersDirectory, userId: string, profile: Omit<NewUser, 'userId'> = {}): Promise<ResolvedUser> {
  const existing = await users.get(userId);
  if (existing) return { user: existing, created: false };
  try {
    return { user: await users.create({ ...profile, userId }), created: true };
  } catch (error) {
    if (!(error instanceof UserAlreadyExistsError)) throw error;
  }
  const winner = await users.get(userId);
  if (winner) return { user: winner, created: false };
  throw new KitError('account_conflict', 'Another account already uses this email address or phone number.');
}
