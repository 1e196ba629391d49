/**
 * The users directory backed by Appwrite's Users API through `node-appwrite`.
 *
 * Translates Appwrite's failures into the kit's: a missing user is `null`, taken IDs and refused
 * passwords are typed errors, and anything else becomes a 502/503 `KitError` with no internals.
 *
 * @module
 */
import { AppwriteException, Query, Users, type Models } from 'node-appwrite';
import type { AppwriteConnection } from '../config.js';
import type { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import { appwriteRefusal, callAppwrite, createAppwriteClient } from './client.js';
import {
  PasswordPolicyError,
  UserAlreadyExistsError,
  type IssuedToken,
  type NewUser,
  type UserRecord,
  type UsersDirectory,
} from '../users.js';

/** The scopes this directory's calls need, named in the log when Appwrite refuses one. */
const USERS_SCOPES = ['users.read', 'users.write'] as const;

/** A 4xx that means the function itself is misconfigured (key, scopes, project), not the client. */
function misconfigured(error: AppwriteException, logger: Logger, operation: string): KitError {
  return appwriteRefusal(error, { logger, operation, scopes: USERS_SCOPES });
}

function toUserRecord(user: Models.User<Models.Preferences>): UserRecord {
  return {
    id: user.$id,
    name: user.name,
    enabled: user.status === true,
    passwordHash: typeof user.password === 'string' && user.password !== '' ? user.password : null,
    hashAlgorithm: typeof user.hash === 'string' && user.hash !== '' ? user.hash : null,
    email: user.email,
    phone: user.phone,
    phoneVerified: user.phoneVerification === true,
    labels: user.labels ?? [],
    prefs: { ...user.prefs },
  };
}

/**
 * A `UsersDirectory` over Appwrite. Needs an API key with the `users.read` and `users.write` scopes.
 * With `signal` (the request's, `RuntimeServices.signal`), no call starts once it has aborted.
 *
 * @example
 * ```ts
 * const users = createAppwriteUsers(connection, logger, { signal: runtime.signal });
 * const token = await users.createToken(userId, { length: 64, expire: 60 });
 * ```
 */
export function createAppwriteUsers(connection: AppwriteConnection, logger: Logger, options: { signal?: AbortSignal | undefined } = {}): UsersDirectory {
  const users = new Users(createAppwriteClient(connection));
  const run = <T>(operation: string, call: () => Promise<T>) =>
    callAppwrite(call, { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation, signal: options.signal });

  // Email and phone have unique indexes in Appwrite: one match at most.
  async function findOne(attribute: 'email' | 'phone', value: string): Promise<UserRecord | null> {
    try {
      const list = await run('users.list', () => users.list({ queries: [Query.equal(attribute, [value]), Query.limit(1)] }));
      const [user] = list.users;
      return user ? toUserRecord(user) : null;
    } catch (error) {
      if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.list');
      throw error;
    }
  }

  return {
    async get(userId) {
      try {
        return toUserRecord(await run('users.get', () => users.get({ userId })));
      } catch (error) {
        if (error instanceof AppwriteException && error.type === 'user_not_found') return null;
        if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.get');
        throw error;
      }
    },

    findByEmail: (email) => findOne('email', email),
    findByPhone: (phone) => findOne('phone', phone),

    async create(user: NewUser) {
      try {
        return toUserRecord(await run('users.create', () => users.create(user)));
      } catch (error) {
        if (!(error instanceof AppwriteException)) throw error;
        if (error.code === 409) throw new UserAlreadyExistsError(error.message);
        if (isPasswordRejection(error)) throw new PasswordPolicyError(error.message);
        throw misconfigured(error, logger, 'users.create');
      }
    },

    async updatePassword(userId, password) {
      try {
        await run('users.updatePassword', () => users.updatePassword({ userId, password }));
      } catch (error) {
        if (!(error instanceof AppwriteException)) throw error;
        if (isPasswordRejection(error)) throw new PasswordPolicyError(error.message);
        throw misconfigured(error, logger, 'users.updatePassword');
      }
    },

    async markPhoneVerified(userId) {
      try {
        await run('users.updatePhoneVerification', () => users.updatePhoneVerification({ userId, phoneVerification: true }));
      } catch (error) {
        if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.updatePhoneVerification');
        throw error;
      }
    },

    async updateLabels(userId, labels) {
      try {
        await run('users.updateLabels', () => users.updateLabels({ userId, labels: [...labels] }));
      } catch (error) {
        if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.updateLabels');
        throw error;
      }
    },

    async updatePrefs(userId, prefs) {
      try {
        await run('users.updatePrefs', () => users.updatePrefs({ userId, prefs }));
      } catch (error) {
        if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.updatePrefs');
        throw error;
      }
    },

    async deleteSessions(userId) {
      try {
        await run('users.deleteSessions', () => users.deleteSessions({ userId }));
      } catch (error) {
        // No user, no sessions: a logout for someone who never signed in here has nothing to end.
        if (error instanceof AppwriteException && error.type === 'user_not_found') return;
        if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.deleteSessions');
        throw error;
      }
    },

    async createToken(userId, options): Promise<IssuedToken> {
      try {
        const token = await run('users.createToken', () =>
          users.createToken({ userId, length: options.length, expire: options.expire }),
        );
        return { userId: token.userId, secret: token.secret, expire: token.expire };
      } catch (error) {
        if (error instanceof AppwriteException) throw misconfigured(error, logger, 'users.createToken');
        throw error;
      }
    },
  };
}

/** Appwrite refuses passwords with `password_*` types or an invalid `password` argument. */
function isPasswordRejection(error: AppwriteException): boolean {
  if (error.code !== 400) return false;
  return error.type.startsWith('password_') || (error.type === 'general_argument_invalid' && /`password`/.test(error.message));
}
