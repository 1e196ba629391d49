/**
 * The passkey store port: where registered credentials live, and the in-memory store for tests.
 * The Appwrite table store (`appwrite-store.ts`) serves every runtime.
 *
 * @module
 */

/** One registered passkey: what verifying its later assertions needs (W3C WebAuthn §6.1), and when it was made and last used. */
export interface StoredPasskey {
  /** The credential ID, base64url. */
  credentialId: string;
  userId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen; 0 for authenticators that keep none (most synced passkeys). */
  counter: number;
  /** Hints for the browser (`internal`, `hybrid`, `usb`, ...). */
  transports: string[];
  /** `multiDevice` for a synced passkey. */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, `null` until its first sign-in. */
  lastUsedAt: string | null;
}

/** Thrown by `add` for a credential ID already registered (to anyone). */
export class PasskeyExistsError extends Error {
  override readonly name = 'PasskeyExistsError';
}

/**
 * Where passkeys are kept.
 *
 * @example
 * ```ts
 * const passkey = await store.get(response.id);
 * await store.recordUse(passkey.credentialId, newCounter, clock.now());
 * ```
 */
export interface PasskeyStore {
  /** Records a new passkey; throws {@link PasskeyExistsError} when its credential ID is taken. */
  add(passkey: StoredPasskey): Promise<void>;
  get(credentialId: string): Promise<StoredPasskey | null>;
  /** The user's passkeys, oldest first. */
  listByUser(userId: string): Promise<StoredPasskey[]>;
  /** Stores the counter of a verified assertion and when it happened (ms since epoch). */
  recordUse(credentialId: string, counter: number, at: number): Promise<void>;
  /** Deletes one passkey; `false` when it was not there. */
  delete(credentialId: string): Promise<boolean>;
}

/**
 * An in-memory store: one process only, gone on restart. For tests.
 *
 * @example
 * ```ts
 * const store = createMemoryPasskeyStore();
 * ```
 */
export function createMemoryPasskeyStore(): PasskeyStore {
  const passkeys = new Map<string, StoredPasskey>();
  return {
    async add(passkey) {
      if (passkeys.has(passkey.credentialId)) throw new PasskeyExistsError();
      passkeys.set(passkey.credentialId, { ...passkey, transports: [...passkey.transports] });
    },
    async get(credentialId) {
      const passkey = passkeys.get(credentialId);
      return passkey ? { ...passkey, transports: [...passkey.transports] } : null;
    },
    async listByUser(userId) {
      return [...passkeys.values()].filter((passkey) => passkey.userId === userId).map((passkey) => ({ ...passkey }));
    },
    async recordUse(credentialId, counter, at) {
      const passkey = passkeys.get(credentialId);
      if (passkey) Object.assign(passkey, { counter, lastUsedAt: new Date(at).toISOString() });
    },
    async delete(credentialId) {
      return passkeys.delete(credentialId);
    },
  };
}
