/**
 * The once-store port: set-if-absent with an expiry, for anything that must be accepted only once
 * (an OIDC `jti`, a captcha token, a single-use challenge).
 *
 * One operation, `claim`. Every store must make it atomic: a value two concurrent requests can both
 * claim is a replay the store let through, so that is a bug, not a tolerance. And every store fails
 * closed: when it cannot answer it throws `once_store_unavailable` rather than guessing, because
 * guessing "not seen" is exactly what a replay needs.
 *
 * A record holds through its `expiresAt` instant inclusive and is gone after it. Callers pick
 * `expiresAt` as the last instant the value could still be accepted elsewhere (a token's `exp` plus
 * the clock leeway they allow), so the record outlives every chance of reuse.
 *
 * @module
 */
import * as z from 'zod';
import { KitError } from '../errors.js';
import { sha256Hex } from '../hash.js';

/**
 * Where single-use values are recorded.
 *
 * @example
 * ```ts
 * if (!(await once.claim(await onceKey('oidc.jti', claims.jti), claims.exp * 1000 + leewayMs))) {
 *   throw new KitError('invalid_credentials', 'This token was already used.');
 * }
 * ```
 */
export interface OnceStore {
  /**
   * Records `key` until `expiresAt` (ms since epoch) if it is not already recorded (or its record has
   * expired). true = this call recorded it first (proceed), false = already used (replay). Atomic: of
   * N concurrent calls with one key exactly one gets true. Throws KitError('once_store_unavailable')
   * when the backend cannot answer — callers fail closed.
   */
  claim(key: string, expiresAt: number): Promise<boolean>;
}

/**
 * Longest accepted key. {@link onceKey} builds keys far below this.
 *
 * @example
 * ```ts
 * key.length <= ONCE_KEY_MAX_LENGTH; // true for every key a store accepts
 * ```
 */
export const ONCE_KEY_MAX_LENGTH = 512;

/**
 * Furthest ahead a record may expire: 366 days. Single-use values live minutes; a far-future
 * `expiresAt` is a unit mistake (seconds passed as milliseconds, or the reverse), not a policy.
 *
 * @example
 * ```ts
 * const expiresAt = Math.min(claims.exp * 1000 + leewayMs, clock.now() + ONCE_MAX_TTL_MS);
 * ```
 */
export const ONCE_MAX_TTL_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * The zod schema of a key: non-empty, bounded, printable ASCII (keys end up in object names and hashes).
 *
 * @example
 * ```ts
 * onceKeySchema.safeParse('once:oidc.jti:3f2a9c…').success; // true
 * onceKeySchema.safeParse('has space').success;             // false
 * ```
 */
export const onceKeySchema = z
  .string()
  .min(1)
  .max(ONCE_KEY_MAX_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** A scope of {@link onceKey}: a short dotted name such as `oidc.jti`, never user input. */
const scopeSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i);

/**
 * Validates a claim, throwing a programming error (not a client error) when it is bad: keys and
 * expiries come from the kit's own code, never straight from a request. `expiresAt` must be a whole
 * number of milliseconds from `now` (a record that is already over would record nothing) up to
 * {@link ONCE_MAX_TTL_MS} ahead.
 *
 * @example
 * ```ts
 * const key = checkClaimInput('once:oidc.jti:3f2a…', clock.now() + 600_000, clock.now());
 * ```
 */
export function checkClaimInput(key: string, expiresAt: number, now: number): string {
  const parsedKey = onceKeySchema.safeParse(key);
  if (!parsedKey.success) throw new TypeError('Invalid once-store key.');
  if (!Number.isSafeInteger(expiresAt) || expiresAt < now || expiresAt > now + ONCE_MAX_TTL_MS) {
    throw new TypeError(`Invalid once-store expiresAt ${String(expiresAt)}: must be an integer ms time from now to 366 days ahead.`);
  }
  return parsedKey.data;
}

/**
 * The key of a single-use value: its scope in clear (so operators can tell records apart) and
 * 128 bits of the value's SHA-256, so no token, nonce or challenge is ever stored as such.
 *
 * @example
 * ```ts
 * await onceKey('oidc.jti', 'b7e1c6f0-…'); // 'once:oidc.jti:' + 32 hex digits
 * ```
 */
export async function onceKey(scope: string, value: string): Promise<string> {
  if (!scopeSchema.safeParse(scope).success) throw new TypeError(`Invalid once-store scope ${JSON.stringify(scope)}.`);
  if (typeof value !== 'string' || value.length === 0) throw new TypeError('A once-store value must be a non-empty string.');
  return `once:${scope}:${(await sha256Hex(value)).slice(0, 32)}`;
}

/**
 * The error every store throws when it cannot answer. Its message is safe for clients: it names
 * no host, key or internal detail.
 *
 * @example
 * ```ts
 * throw onceStoreUnavailable();
 * ```
 */
export function onceStoreUnavailable(): KitError {
  return new KitError('once_store_unavailable', 'The replay guard is unavailable. Try again later.');
}
