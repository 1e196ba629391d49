/**
 * What a verified token's claims become in Appwrite: the new user's name and email, the labels
 * its roles grant, and the prefs it copies. Pure functions: `account.ts` reads and writes Appwrite.
 *
 * Labels, not prefs, carry authorization: only servers can write labels, while users can rewrite
 * their own prefs (`account.updatePrefs`). Claims copied to prefs are for display and defaults.
 *
 * @module
 */
import * as z from 'zod';
import type { JWTPayload } from 'jose';
import { isWellFormedText } from '../../shared/validation.js';

/** Appwrite's longest user name (`Text(128)`). */
const MAX_NAME_CHARS = 128;

const emailSchema = z.email().max(254);

/** The profile a first sign-in creates the user with: only what the token vouches for. */
export interface TokenProfile {
  name?: string;
  /** Only when the token says `email_verified: true`. */
  email?: string;
}

/**
 * The new user's name (`name`, else `nickname`, cut to Appwrite's 128 characters) and email: only
 * when `email_verified` is exactly `true` and the address is well-formed, lower-cased as Appwrite
 * stores it. The email is never used to find a user: a user is keyed on `(iss, sub)` alone.
 *
 * @example
 * ```ts
 * profileFrom({ name: 'Alice', email: 'Alice@Example.com', email_verified: true }); // { name: 'Alice', email: 'alice@example.com' }
 * profileFrom({ nickname: 'al', email: 'a@example.com' });                         // { name: 'al' }
 * ```
 */
export function profileFrom(claims: JWTPayload): TokenProfile {
  const profile: TokenProfile = {};
  for (const candidate of [claims['name'], claims['nickname']]) {
    if (typeof candidate !== 'string' || !isWellFormedText(candidate)) continue;
    const name = [...candidate.trim()].slice(0, MAX_NAME_CHARS).join('').trim();
    if (name !== '') {
      profile.name = name;
      break;
    }
  }
  const email = claims['email'];
  if (claims['email_verified'] === true && typeof email === 'string') {
    const parsed = emailSchema.safeParse(email.trim().toLowerCase());
    if (parsed.success) profile.email = parsed.data;
  }
  return profile;
}

/** Appwrite's label rules: 1-36 characters of `[0-9A-Za-z]`, at most 1000 per user. */
const MAX_LABEL_CHARS = 36;
const MAX_LABELS = 1000;
/**
 * Roles mapped per user: far beyond any real role list, far below Appwrite's 1000 labels.
 *
 * @example
 * ```ts
 * rolesToLabels(manyRoles, 'auth0').labels.length <= MAX_ROLE_LABELS; // true
 * ```
 */
export const MAX_ROLE_LABELS = 100;

/** The labels a token's roles grant, and how many roles could not become one. */
export interface RoleLabels {
  labels: string[];
  /** Roles that were not strings, empty once sanitised, too long with the prefix, or past {@link MAX_ROLE_LABELS}. */
  dropped: number;
  /** The claim was present but not an array of strings: no role is granted. */
  malformed: boolean;
}

/**
 * The labels a roles claim grants: each role with every character outside `[0-9A-Za-z]` removed,
 * prefixed, de-duplicated, in the claim's order. A role that would not fit Appwrite's 36
 * characters is dropped, never cut: two long roles cut alike would grant each other's permissions.
 * Anything but an array of strings (or no claim) grants nothing.
 *
 * @example
 * ```ts
 * rolesToLabels(['admin', 'content-editor', 'admin'], 'auth0'); // { labels: ['auth0admin', 'auth0contenteditor'], dropped: 0, malformed: false }
 * rolesToLabels('admin', 'auth0');                               // { labels: [], dropped: 0, malformed: true }
 * ```
 */
export function rolesToLabels(claim: unknown, prefix: string): RoleLabels {
  if (claim === undefined) return { labels: [], dropped: 0, malformed: false };
  if (!Array.isArray(claim)) return { labels: [], dropped: 0, malformed: true };
  const labels = new Set<string>();
  let dropped = 0;
  for (const role of claim) {
    const label = typeof role === 'string' ? `${prefix}${role.replace(/[^0-9A-Za-z]/g, '')}` : '';
    const fits = label.length > prefix.length && label.length <= MAX_LABEL_CHARS;
    if (!fits || (!labels.has(label) && labels.size >= MAX_ROLE_LABELS)) dropped += 1;
    else labels.add(label);
  }
  return { labels: [...labels], dropped, malformed: false };
}

/**
 * The user's labels after a sign-in: every label not starting with `prefix` kept as it is (set by
 * someone else), every one starting with it replaced by `granted`. Within Appwrite's 1000.
 *
 * @example
 * ```ts
 * mergeLabels(['vip', 'auth0admin'], ['auth0editor'], 'auth0'); // ['vip', 'auth0editor']
 * ```
 */
export function mergeLabels(current: readonly string[], granted: readonly string[], prefix: string): string[] {
  const kept = current.filter((label) => !label.startsWith(prefix));
  return [...kept, ...granted.filter((label) => !kept.includes(label))].slice(0, MAX_LABELS);
}

/**
 * Whether two label lists hold the same labels, whatever their order: Appwrite keeps a set, so
 * an unchanged set needs no write.
 *
 * @example
 * ```ts
 * sameLabels(['a', 'b'], ['b', 'a']); // true
 * ```
 */
export function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((label) => set.has(label));
}

/**
 * Largest copy of claims kept in prefs, as JSON; a larger one leaves prefs as they are.
 *
 * @example
 * ```ts
 * mergePrefs({}, 'auth0', { big: 'x'.repeat(MAX_COPIED_PREFS_CHARS) }); // null
 * ```
 */
export const MAX_COPIED_PREFS_CHARS = 16 * 1024;
/** Appwrite's limit for the whole prefs object, as JSON. */
const MAX_PREFS_CHARS = 65_535;

/**
 * The claims copied to prefs: each named claim the token has, under its own name. Claims the token
 * lacks are left out, so a claim removed at the issuer disappears from prefs too.
 *
 * @example
 * ```ts
 * copiedClaims({ locale: 'de', plan: 'pro', sub: 'auth0|1' }, ['locale', 'plan', 'team']); // { locale: 'de', plan: 'pro' }
 * ```
 */
export function copiedClaims(claims: JWTPayload, names: readonly string[]): Record<string, unknown> {
  const copied: Record<string, unknown> = {};
  for (const name of names) if (claims[name] !== undefined) copied[name] = claims[name];
  return copied;
}

/**
 * The user's prefs with `copied` under `key`, every other pref kept; `null` when the copy or the
 * whole would exceed what the kit or Appwrite allows (then prefs stay as they are).
 *
 * @example
 * ```ts
 * mergePrefs({ theme: 'dark', auth0: { plan: 'free' } }, 'auth0', { plan: 'pro' }); // { theme: 'dark', auth0: { plan: 'pro' } }
 * ```
 */
export function mergePrefs(current: Record<string, unknown>, key: string, copied: Record<string, unknown>): Record<string, unknown> | null {
  if (JSON.stringify(copied).length > MAX_COPIED_PREFS_CHARS) return null;
  const merged = { ...current, [key]: copied };
  return JSON.stringify(merged).length > MAX_PREFS_CHARS ? null : merged;
}
