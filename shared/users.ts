/**
 * The users-directory port: the few Appwrite Users operations a login function needs.
 * The Appwrite implementation lives in `appwrite-users.ts`; tests may pass any other.
 *
 * @module
 */

/** What the kit reads of an Appwrite user. */
export interface UserRecord {
  id: string;
  name: string;
  /** `false` when the user is blocked. A blocked user never receives a token. */
  enabled: boolean;
  /** The password hash as a PHC string, or `null` when the user has no password. */
  passwordHash: string | null;
  /** Appwrite's name for the hash algorithm (`argon2`, `bcrypt`, ...), or `null`. */
  hashAlgorithm: string | null;
  email: string;
  phone: string;
  /** Whether Appwrite holds the phone number as verified (`phoneVerification`). */
  phoneVerified: boolean;
  labels: string[];
  /**
   * The user's preferences. The user can change them too (`account.updatePrefs`), so they are
   * never a basis for authorization: that is what labels are for.
   */
  prefs: Record<string, unknown>;
}

/** A freshly minted login token. The secret must reach only the user it was minted for. */
export interface IssuedToken {
  userId: string;
  secret: string;
  /** ISO 8601 time after which the secret no longer opens a session. */
  expire: string;
}

/** What to create. Unset fields stay empty in Appwrite. */
export interface NewUser {
  userId: string;
  password?: string;
  name?: string;
  email?: string;
  phone?: string;
}

/** Thrown by `create` when the user ID, email or phone is already taken. */
export class UserAlreadyExistsError extends Error {
  override readonly name = 'UserAlreadyExistsError';
}

/** Thrown when Appwrite refuses a password (its length or the project's password policies). */
export class PasswordPolicyError extends Error {
  override readonly name = 'PasswordPolicyError';
}

/**
 * The users directory. Every method throws a `KitError` of type `appwrite_unavailable` or
 * `appwrite_error` when Appwrite cannot be reached or fails, so callers need not translate.
 */
export interface UsersDirectory {
  /** The user, or `null` when there is none with this ID. */
  get(userId: string): Promise<UserRecord | null>;
  /**
   * The user whose email is this address, or `null`. Appwrite keeps emails unique and lower-cased,
   * so pass the address lower-cased.
   */
  findByEmail(email: string): Promise<UserRecord | null>;
  /** The user whose phone is this E.164 number, or `null`. Appwrite keeps phone numbers unique. */
  findByPhone(phone: string): Promise<UserRecord | null>;
  /** Creates a user; a plaintext password is hashed by Appwrite. */
  create(user: NewUser): Promise<UserRecord>;
  /** Replaces the password; Appwrite hashes it. */
  updatePassword(userId: string, password: string): Promise<void>;
  /**
   * Marks the user's phone number verified (`phoneVerification`), for a function that has itself
   * seen the number proven: never on the word of a session, which proves nothing about the phone.
   */
  markPhoneVerified(userId: string): Promise<void>;
  /**
   * Replaces the user's labels (Appwrite keeps them as a set: at most 1000, each 1-36 characters of
   * `[0-9A-Za-z]`). Only servers can write labels, so permissions may rely on them.
   */
  updateLabels(userId: string, labels: readonly string[]): Promise<void>;
  /** Replaces the user's whole preferences object (Appwrite: at most 64 kB as JSON). */
  updatePrefs(userId: string, prefs: Record<string, unknown>): Promise<void>;
  /**
   * Deletes every session of the user (logs them out everywhere). A user that does not exist has
   * no sessions: that resolves too.
   */
  deleteSessions(userId: string): Promise<void>;
  /** Mints a token the client exchanges with `account.createSession({ userId, secret })`. */
  createToken(userId: string, options: { length: number; expire: number }): Promise<IssuedToken>;
}
