/**
 * The in-memory state of the embedded Appwrite double: users, their tokens and sessions, messages
 * and the outbox of their deliveries, and the abuse counters. Records hold what Appwrite's database holds (hashes, never plaintext secrets);
 * the HTTP models are built from them in `models.ts`.
 *
 * Tests may read the store to assert what the double holds, e.g. that a token is gone after use.
 *
 * @module
 */
import { Outbox } from './outbox.js';

/**
 * The `hashOptions` of an argon2 user, as Appwrite reports them: the PHP option names
 * `utopia-php/auth`'s `Argon2` stores (`memory_cost`, `time_cost`, `threads`), snake_case.
 */
export interface Argon2HashOptions {
  type: 'argon2';
  memory_cost: number;
  time_cost: number;
  threads: number;
}

/** A messaging target Appwrite keeps for a user's email or phone. */
export interface TargetRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  providerType: 'email' | 'sms';
  identifier: string;
}

/** A user as the double stores it. Times are milliseconds since the epoch. */
export interface UserRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  name: string;
  /** Lower-cased, or `null` when the user has none. */
  email: string | null;
  /** E.164, or `null` when the user has none. */
  phone: string | null;
  /** The PHC hash string, or `null` when the user has no password. */
  password: string | null;
  /** The last hashes the password history policy remembers, newest last; never in a response. */
  passwordHistory: string[];
  hash: 'argon2';
  hashOptions: Argon2HashOptions;
  registration: number;
  /** `false` when blocked. */
  status: boolean;
  labels: string[];
  passwordUpdate: number | null;
  emailVerification: boolean;
  phoneVerification: boolean;
  mfa: boolean;
  prefs: Record<string, unknown>;
  targets: TargetRecord[];
  accessedAt: number | null;
}

/** A login token (`users.createToken`). Only the sha256 of its secret is kept. */
export interface TokenRecord {
  id: string;
  userId: string;
  /** Lower-case hex sha256 of the secret. */
  secretHash: string;
  createdAt: number;
  expire: number;
}

/** A session. Only the sha256 of its secret is kept. */
export interface SessionRecord {
  id: string;
  userId: string;
  secretHash: string;
  createdAt: number;
  updatedAt: number;
  expire: number;
  provider: string;
  factors: string[];
  ip: string;
  userAgent: string;
}

/** Where a message stands: Appwrite's `MessageStatus`. */
export type MessageStatus = 'draft' | 'processing' | 'scheduled' | 'sent' | 'failed';

/**
 * A Messaging message (`messaging.createEmail` / `createSMS`). Times are milliseconds since the
 * epoch; `null` where Appwrite's document holds null.
 */
export interface MessageRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  providerType: 'email' | 'sms';
  /** The recipients as requested, duplicates and all. */
  topics: string[];
  users: string[];
  targets: string[];
  scheduledAt: number | null;
  deliveredAt: number | null;
  /** `null` until the delivery ran. */
  deliveryErrors: string[] | null;
  deliveredTotal: number;
  /** Email: `subject, content, html, cc, bcc, attachments`. SMS: `content`. */
  data: Record<string, unknown>;
  status: MessageStatus;
}

/** One fixed-window abuse counter. */
export interface AbuseCounter {
  /** Start of the window in seconds since the epoch. */
  windowStart: number;
  /** End of the window in seconds since the epoch: from then on the counter can be forgotten. */
  windowEnd: number;
  hits: number;
}

/**
 * Everything the double remembers. Maps keep insertion order, which is Appwrite's default list
 * order (by internal sequence), so no extra bookkeeping is needed for `users.list`.
 *
 * @example
 * ```ts
 * const store = new DevAppwriteStore();
 * store.users.get('alice')?.status; // true
 * store.tokensOf('alice').length;   // 0 once the token was exchanged
 * store.outbox.list().at(-1)?.to;   // 'alice@example.com' after a messaging.createEmail to alice
 * ```
 */
export class DevAppwriteStore {
  readonly users = new Map<string, UserRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Messaging messages by `$id`. */
  readonly messages = new Map<string, MessageRecord>();
  /** What the messaging routes "delivered", newest last; see `Outbox`. */
  readonly outbox = new Outbox();
  /** Abuse counters by Appwrite's abuse key (e.g. `ip:1.2.3.4,userId:alice`); bounded, see `abuse.ts`. */
  readonly abuse = new Map<string, AbuseCounter>();
  private readonly moduleStates = new Map<string, unknown>();

  /**
   * The state a route module keeps beside the built-in collections, created on first use and
   * dropped by `clear()`. Call it per request rather than caching the result, so a cleared store
   * hands out fresh state.
   *
   * @example
   * ```ts
   * const rows = ctx.store.state('tablesdb', () => new Map<string, Row>());
   * ```
   */
  state<T>(name: string, create: () => T): T {
    if (!this.moduleStates.has(name)) this.moduleStates.set(name, create());
    return this.moduleStates.get(name) as T;
  }

  /** The user whose `field` equals `value`, if any. Appwrite keeps email and phone unique. */
  findUserBy(field: 'email' | 'phone', value: string): UserRecord | undefined {
    for (const user of this.users.values()) if (user[field] === value) return user;
    return undefined;
  }

  /**
   * A messaging target by its `$id`, with the user it belongs to. Targets live inside their user
   * records, as the double derives them from the user's email and phone.
   */
  findTarget(targetId: string): { user: UserRecord; target: TargetRecord } | undefined {
    for (const user of this.users.values()) {
      const target = user.targets.find((candidate) => candidate.id === targetId);
      if (target) return { user, target };
    }
    return undefined;
  }

  /** The user's tokens, oldest first. */
  tokensOf(userId: string): TokenRecord[] {
    return [...this.tokens.values()].filter((token) => token.userId === userId);
  }

  /** The user's sessions, oldest first. */
  sessionsOf(userId: string): SessionRecord[] {
    return [...this.sessions.values()].filter((session) => session.userId === userId);
  }

  /** Deletes all sessions of a user. */
  deleteSessionsOf(userId: string): void {
    for (const session of this.sessionsOf(userId)) this.sessions.delete(session.id);
  }

  /** Deletes a user with everything that belongs to it, as Appwrite's delete worker does. */
  deleteUser(userId: string): void {
    this.users.delete(userId);
    this.deleteSessionsOf(userId);
    for (const token of this.tokensOf(userId)) this.tokens.delete(token.id);
  }

  /** Forgets everything, for tests that share one double. */
  clear(): void {
    this.users.clear();
    this.tokens.clear();
    this.sessions.clear();
    this.messages.clear();
    this.outbox.clear();
    this.abuse.clear();
    this.moduleStates.clear();
  }
}
