/**
 * Random IDs and secrets for the embedded Appwrite double, and the one-way hashing Appwrite applies
 * to token and session secrets (sha256, `utopia-php/auth` `Hashes\Sha`).
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A lower-case hex secret of exactly `length` characters from the CSPRNG, generated like
 * `utopia-php/auth` `Proofs\Token::generate()`.
 *
 * @example
 * ```ts
 * randomHex(6); // 'a3f09c'
 * ```
 */
export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/**
 * A server-generated ID shaped like Appwrite's `ID::unique()`: 13 hex characters of time, then 7
 * random ones. Sortable by creation second, like the real ones.
 *
 * @example
 * ```ts
 * uniqueId(Date.now()); // '66a1f0c3e2b4d9f01ab2c'
 * ```
 */
export function uniqueId(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000).toString(16);
  const micros = ((nowMs % 1000) * 1000).toString(16).padStart(5, '0');
  return `${seconds}${micros}`.padEnd(13, '0') + randomHex(7);
}

/**
 * The sha256 of a secret as lower-case hex: what the double stores instead of the secret.
 *
 * @example
 * ```ts
 * sha256Hex('a3f09c'); // '5e1c...'
 * ```
 */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Compares a presented secret with a stored sha256 in constant time, so response timing tells an
 * attacker nothing about how close a guess was.
 *
 * @example
 * ```ts
 * secretMatches('a3f09c', token.secretHash); // true or false
 * ```
 */
export function secretMatches(secret: string, storedHashHex: string): boolean {
  const presented = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(storedHashHex, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
