/**
 * Deterministic Appwrite user IDs from what a function proved: a username, an OIDC `(iss, sub)`,
 * a phone number. The same subject always maps to the same ID, so Appwrite's unique user ID is
 * what keeps one person one user: two concurrent first sign-ins cannot both create one.
 *
 * @module
 */
import { sha256Hex } from '../hash.js';

/** Appwrite's longest user ID. */
const APPWRITE_ID_MAX = 36;
const prefixPattern = /^[a-z][a-z0-9]{0,7}$/;

/**
 * A user ID of the form `<prefix>-<hex>`: 36 characters of `[a-z0-9-]`, inside Appwrite's ID rules,
 * and apart from IDs made elsewhere (Appwrite's own are 20 hex digits without a dash). The hash
 * input is `namespace:subject`, so two namespaces never share an ID even for one subject.
 *
 * @example
 * ```ts
 * await deriveUserId('pw', 'password-username', 'alice'); // 'pw-35e7d6b72db03238fdcb1696cd3b5b6bf'
 * ```
 */
export async function deriveUserId(prefix: string, namespace: string, subject: string): Promise<string> {
  if (!prefixPattern.test(prefix)) throw new TypeError('A user ID prefix is 1-8 lower-case letters or digits, starting with a letter.');
  if (subject === '') throw new TypeError('A user ID needs a non-empty subject.');
  const digits = APPWRITE_ID_MAX - prefix.length - 1;
  return `${prefix}-${(await sha256Hex(`${namespace}:${subject}`)).slice(0, digits)}`;
}

/**
 * The user ID of an OIDC identity. `sub` is unique only within its issuer, so both go in, encoded
 * so that no `(iss, sub)` pair can be spelled as another.
 *
 * @example
 * ```ts
 * await userIdForOidcSubject('https://kit.eu.auth0.com/', 'auth0|64f1…'); // 'oidc-…' (36 chars)
 * ```
 */
export function userIdForOidcSubject(issuer: string, subject: string): Promise<string> {
  return deriveUserId('oidc', 'oidc', JSON.stringify([issuer, subject]));
}

const e164Pattern = /^\+[1-9]\d{6,14}$/;

/**
 * The user ID of a phone number, which must already be E.164 (`+` and 7-15 digits, as Appwrite
 * checks): a number spelled two ways would otherwise be two users.
 *
 * @example
 * ```ts
 * await userIdForPhone('+14155550123'); // 'ph-…' (36 chars)
 * ```
 */
export function userIdForPhone(e164: string): Promise<string> {
  if (!e164Pattern.test(e164)) throw new TypeError('Normalise the phone number to E.164 before deriving its user ID.');
  return deriveUserId('ph', 'phone', e164);
}
