/**
 * The Appwrite user behind a verified OIDC identity: found or created under the ID derived from
 * `(iss, sub)` and nothing else, then given the labels and prefs its claims map to.
 *
 * Never by email. Linking a token to an existing Appwrite user because the addresses match is an
 * account-takeover path: whoever controls an identity at the issuer with that address (a
 * recycled mailbox, an IdP that reports `email_verified` wrongly, an attacker who registered the
 * victim's address first) would sign in as that user. So a token whose verified email another
 * user already has signs in as its own user, created without the email, and the collision is logged.
 *
 * @module
 */
import type { JWTPayload } from 'jose';
import { throwIfAbandoned } from '../../shared/deadline.js';
import { KitError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { OidcClaims } from '../../shared/oidc/index.js';
import { getOrCreateUser } from '../../shared/sign-in/resolve.js';
import type { UserRecord, UsersDirectory } from '../../shared/users.js';
import { copiedClaims, mergeLabels, mergePrefs, profileFrom, rolesToLabels, sameLabels } from './claims.js';

/** How claims reach Appwrite, from the function's config. */
export interface ClaimMapping {
  /** The roles claim; `undefined`: labels are left alone. */
  rolesClaim: string | undefined;
  labelPrefix: string;
  /** Claims copied to prefs; `undefined`: prefs are left alone. */
  prefsClaims: readonly string[] | undefined;
  prefsKey: string;
}

/**
 * Creates the resolver `/exchange` and `/callback` share.
 *
 * @example
 * ```ts
 * const accountFor = createAccountResolver({ users, logger, mapping });
 * const user = await accountFor(await userIdForOidcSubject(claims.iss, claims.sub), claims, c.req.raw.signal);
 * ```
 */
export function createAccountResolver(options: { users: UsersDirectory; logger: Logger; mapping: ClaimMapping }) {
  const { users, logger, mapping } = options;

  /** Found or created; a verified email another user holds is left off, never linked. */
  async function findOrCreate(userId: string, claims: JWTPayload): Promise<UserRecord> {
    const { name, email } = profileFrom(claims);
    try {
      return (await getOrCreateUser(users, userId, { name, email })).user;
    } catch (error) {
      if (!(error instanceof KitError && error.type === 'account_conflict') || email === undefined) throw error;
    }
    logger.warn('email_not_copied', { userId, reason: 'email_taken' });
    return (await getOrCreateUser(users, userId, { name })).user;
  }

  async function syncLabels(user: UserRecord, claims: JWTPayload): Promise<void> {
    if (mapping.rolesClaim === undefined) return;
    const roles = rolesToLabels(claims[mapping.rolesClaim], mapping.labelPrefix);
    if (roles.malformed) logger.warn('roles_claim_malformed', { userId: user.id });
    if (roles.dropped > 0) logger.warn('roles_not_mapped', { userId: user.id, dropped: roles.dropped });
    const labels = mergeLabels(user.labels, roles.labels, mapping.labelPrefix);
    if (sameLabels(labels, user.labels)) return;
    await users.updateLabels(user.id, labels);
    user.labels = labels;
  }

  async function syncPrefs(user: UserRecord, claims: JWTPayload): Promise<void> {
    if (mapping.prefsClaims === undefined) return;
    const copied = copiedClaims(claims, mapping.prefsClaims);
    const prefs = mergePrefs(user.prefs, mapping.prefsKey, copied);
    // Prefs are the user's own to edit and no basis for authorization: an oversized copy is
    // skipped (and said), not a failed sign-in.
    if (prefs === null) return logger.warn('prefs_not_updated', { userId: user.id, reason: 'too_large' });
    if (JSON.stringify(user.prefs[mapping.prefsKey]) === JSON.stringify(copied)) return;
    await users.updatePrefs(user.id, prefs);
    user.prefs = prefs;
  }

  /**
   * The user for verified claims (`userId` is `userIdForOidcSubject(iss, sub)`), its labels and prefs updated from them. A blocked user is
   * returned untouched (the pipeline refuses it). A label write that fails fails the sign-in: no
   * new session starts while the user still holds a role the issuer has taken away.
   */
  return async function accountFor(userId: string, claims: OidcClaims, signal: AbortSignal | undefined): Promise<UserRecord> {
    throwIfAbandoned(signal, 'resolve_user', logger);
    const user = await findOrCreate(userId, claims);
    if (!user.enabled) return user;
    throwIfAbandoned(signal, 'sync_claims', logger);
    await syncLabels(user, claims);
    await syncPrefs(user, claims);
    return user;
  };
}
