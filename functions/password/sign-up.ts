/**
 * Creating a user under the sign-up budget across everyone (`PASSWORD_LIMIT_REGISTER_ALL`). The
 * budget exists to bound how many users a distributed burst creates, so only a registration that
 * can create one spends it; a duplicate costs its sender's per-IP allowance and nothing else.
 *
 * 1. A name that exists answers 409 at once, before the budget.
 * 2. One registration of a name at a time holds a claim on it (a counter of limit 1); concurrent
 *    ones answer 409 too, so a burst of one fresh name spends one unit, not one per request.
 * 3. The claim holder spends one unit, then creates. When no user comes of it (budget refused, the
 *    password rejected, Appwrite down) the claim is given back (`reset` of a 1-hit counter is exact)
 *    so the owner can retry at once; the unit is not, and that fails closed: the budget can only
 *    count more than what was created, never less.
 *
 * What still spends a unit without a user: a password Appwrite's own policies reject, an Appwrite
 * failure, a user created outside the kit between steps 1 and 3, or a claim that ends with its
 * window mid-registration.
 *
 * @module
 */
import type { Logger, LogFields } from '../../shared/log.js';
import { acrossEveryone } from '../../shared/rate-limit/checks.js';
import type { RateLimitGuard } from '../../shared/rate-limit/guard.js';
import { accountKey } from '../../shared/rate-limit/keys.js';
import type { RateLimitRule, RateLimitStore } from '../../shared/rate-limit/store.js';
import { PasswordPolicyError, UserAlreadyExistsError, type NewUser, type UserRecord, type UsersDirectory } from '../../shared/users.js';
import { passwordErrors } from './errors.js';

/**
 * A claim on a name lasts at most this long: longer than any registration takes, short enough that
 * one left behind by a crash keeps the name from its owner only briefly.
 */
const NAME_CLAIM: RateLimitRule = { limit: 1, windowSeconds: 300 };

/** What {@link createSignUp} needs. */
export interface SignUpDependencies {
  users: UsersDirectory;
  store: RateLimitStore;
  guard: RateLimitGuard;
  logger: Logger;
  /** `PASSWORD_LIMIT_REGISTER_ALL`. */
  budget: readonly RateLimitRule[];
}

/**
 * @example
 * ```ts
 * const signUp = createSignUp({ users, store, guard, logger, budget: config.PASSWORD_LIMIT_REGISTER_ALL });
 * const user = await signUp('alice', { userId, password: password.nfkc, name: 'alice' }, { account, ip });
 * ```
 */
export function createSignUp(dependencies: SignUpDependencies) {
  const { users, store, guard, logger, budget } = dependencies;

  /** Creates the user of a (normalised) username, or throws `username_taken`, `password_rejected` or a 429. */
  return async function signUp(username: string, user: NewUser, logFields: LogFields): Promise<UserRecord> {
    if (await users.get(user.userId)) throw passwordErrors.create('username_taken');
    const claim = `password.register.name|${await accountKey('username', username)}`;
    if (!(await store.consume(claim, NAME_CLAIM)).allowed) throw passwordErrors.create('username_taken');

    let created = false;
    try {
      await guard.enforce([{ ...acrossEveryone('password.register.all', budget), logFields }]);
      const record = await users.create(user);
      created = true;
      return record;
    } catch (error) {
      if (error instanceof UserAlreadyExistsError) throw passwordErrors.create('username_taken');
      if (error instanceof PasswordPolicyError) throw passwordErrors.create('password_rejected', error.message);
      throw error;
    } finally {
      if (!created) {
        // Best effort: a claim that stays only ends with its window.
        await store.reset(claim, NAME_CLAIM).catch(() => logger.warn('name_claim_kept', logFields));
      }
    }
  };
}
