/**
 * The development outbox of the embedded Appwrite double: what a Messaging provider would have
 * been handed, one entry per recipient. The double has no email or SMS provider, so the outbox is
 * where tests and a local developer read the messages the kit sends (for example the login code in
 * `content`). It records and nothing more: it does not parse, redact or expire what it holds.
 *
 * @module
 */

/**
 * One email or SMS as a provider would have received it for one recipient.
 *
 * @example
 * ```ts
 * const entry: OutboxEntry = {
 *   messageId: '66a1f0c3e2b4d9f01ab2c',
 *   channel: 'email',
 *   userId: 'alice',
 *   to: 'alice@example.com',
 *   subject: 'Your sign-in code',
 *   content: 'Your code is 4f2a9c',
 *   html: false,
 *   createdAt: '2026-01-15T12:00:00.000+00:00',
 * };
 * ```
 */
export interface OutboxEntry {
  /** The `$id` of the Appwrite message this delivery belongs to (a voice call's own ID). */
  readonly messageId: string;
  /** `voice`: a call the kit's development voice provider "placed" (`content` is what it would have said). */
  readonly channel: 'email' | 'sms' | 'voice';
  /** The user who owns the target it went to. */
  readonly userId: string;
  /** The target's identifier: the email address or the E.164 phone number. */
  readonly to: string;
  /** Email only. */
  readonly subject?: string;
  readonly content: string;
  /** Email only: whether `content` is HTML. */
  readonly html?: boolean;
  /** When it was "delivered", in Appwrite's date format (`2026-01-15T12:00:00.000+00:00`). */
  readonly createdAt: string;
}

/**
 * How many entries the outbox keeps by default: enough for any test, small enough for a dev server
 * left running.
 *
 * @example
 * ```ts
 * new Outbox().limit === OUTBOX_LIMIT; // true
 * ```
 */
export const OUTBOX_LIMIT = 1000;

/**
 * The most recent deliveries, oldest first, bounded so that a development server left running for
 * days does not grow without end: past `limit`, the oldest entries are dropped.
 *
 * @example
 * ```ts
 * const { store } = createDevAppwrite({ projectId: 'kit', apiKeys: { key: ['messages.write'] } });
 * // ... the kit sends a code with messaging.createEmail(...)
 * const last = store.outbox.list().at(-1);
 * last?.to;      // 'alice@example.com'
 * last?.content; // whatever the kit put there, e.g. the login code
 * store.outbox.clear();
 * ```
 */
export class Outbox {
  private entries: OutboxEntry[] = [];

  constructor(readonly limit: number = OUTBOX_LIMIT) {}

  /**
   * Every entry still kept, oldest first (newest last). A frozen snapshot: later deliveries do not
   * change an array already handed out, and callers cannot edit the record.
   *
   * @example
   * ```ts
   * const toAlice = store.outbox.list().filter((entry) => entry.to === 'alice@example.com');
   * ```
   */
  list(): readonly OutboxEntry[] {
    return Object.freeze([...this.entries]);
  }

  /**
   * Records one delivery, dropping the oldest entries beyond `limit`. The double's messaging
   * routes call this; tests normally only read.
   *
   * @example
   * ```ts
   * outbox.record({ messageId: 'm1', channel: 'sms', userId: 'alice', to: '+14155550100', content: 'Code: 123456', createdAt });
   * ```
   */
  record(entry: OutboxEntry): void {
    this.entries.push(Object.freeze({ ...entry }));
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /**
   * Forgets every entry, e.g. between tests sharing one double.
   *
   * @example
   * ```ts
   * store.outbox.clear();
   * store.outbox.list().length; // 0
   * ```
   */
  clear(): void {
    this.entries = [];
  }
}
