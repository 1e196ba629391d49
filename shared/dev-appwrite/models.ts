/**
 * Appwrite's response models (`User`, `Token`, `Session`, `Target`, `Message`) built from the double's
 * records, with every field `node-appwrite`'s and `appwrite`'s `Models` declare, in Appwrite's
 * date format.
 *
 * @module
 */
import type { MessageRecord, SessionRecord, TargetRecord, TokenRecord, UserRecord } from './store.js';

/**
 * Formats a time the way Appwrite's `DateTime::formatTz` does: ISO 8601 with milliseconds and an
 * explicit `+00:00` offset. `null` (never happened) is an empty string, as in Appwrite's models.
 *
 * @example
 * ```ts
 * appwriteDate(0); // '1970-01-01T00:00:00.000+00:00'
 * ```
 */
export function appwriteDate(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace('Z', '+00:00');
}

/**
 * The `User` model. `password`, `hash` and `hashOptions` are sensitive: Appwrite includes them for
 * API-key callers (the Users API) and leaves them out of the `Account` model a session sees.
 *
 * @example
 * ```ts
 * c.json(userModel(user, { withPassword: true }));
 * ```
 */
export function userModel(user: UserRecord, options: { withPassword: boolean }): Record<string, unknown> {
  const sensitive = options.withPassword
    ? { password: user.password ?? '', hash: user.hash, hashOptions: { ...user.hashOptions } }
    : {};
  return {
    $id: user.id,
    $createdAt: appwriteDate(user.createdAt),
    $updatedAt: appwriteDate(user.updatedAt),
    name: user.name,
    ...sensitive,
    registration: appwriteDate(user.registration),
    status: user.status,
    labels: [...user.labels],
    passwordUpdate: appwriteDate(user.passwordUpdate),
    email: user.email ?? '',
    phone: user.phone ?? '',
    emailVerification: user.emailVerification,
    phoneVerification: user.phoneVerification,
    mfa: user.mfa,
    prefs: { ...user.prefs },
    targets: user.targets.map((target) => targetModel(user.id, target)),
    accessedAt: appwriteDate(user.accessedAt),
  };
}

function targetModel(userId: string, target: TargetRecord): Record<string, unknown> {
  return {
    $id: target.id,
    $createdAt: appwriteDate(target.createdAt),
    $updatedAt: appwriteDate(target.updatedAt),
    name: '',
    userId,
    providerId: '',
    providerType: target.providerType,
    identifier: target.identifier,
    expired: false,
  };
}

/**
 * The `Token` model. `secret` is the plaintext for API-key callers and `''` for everyone else.
 *
 * @example
 * ```ts
 * c.json(tokenModel(token, secret), 201);
 * ```
 */
export function tokenModel(token: TokenRecord, secret: string): Record<string, unknown> {
  return {
    $id: token.id,
    $createdAt: appwriteDate(token.createdAt),
    userId: token.userId,
    secret,
    expire: appwriteDate(token.expire),
    phrase: '',
  };
}

/**
 * The `Session` model. The double detects no device or country, so those fields hold Appwrite's
 * values for an unknown client. `secret` is the encoded session for API-key callers, else `''`.
 *
 * @example
 * ```ts
 * c.json(sessionModel(session, { current: true, secret: '' }), 201);
 * ```
 */
export function sessionModel(session: SessionRecord, options: { current: boolean; secret: string }): Record<string, unknown> {
  return {
    $id: session.id,
    $createdAt: appwriteDate(session.createdAt),
    $updatedAt: appwriteDate(session.updatedAt),
    userId: session.userId,
    expire: appwriteDate(session.expire),
    provider: session.provider,
    providerUid: '',
    providerAccessToken: '',
    providerAccessTokenExpiry: '',
    providerRefreshToken: '',
    ip: session.ip,
    osCode: '',
    osName: '',
    osVersion: '',
    clientType: '',
    clientCode: '',
    clientName: '',
    clientVersion: '',
    clientEngine: '',
    clientEngineVersion: '',
    deviceName: '',
    deviceBrand: '',
    deviceModel: '',
    countryCode: '--',
    countryName: 'Unknown',
    current: options.current,
    factors: [...session.factors],
    secret: options.secret,
    mfaUpdatedAt: '',
  };
}

/**
 * The `Message` model. Unlike the other models, its optional dates and `deliveryErrors` are `null`
 * rather than `''` while unset: Appwrite's response filter writes `null` for a non-required rule
 * whose attribute is null, and these three are the non-required ones.
 *
 * @example
 * ```ts
 * c.json(messageModel(message), 201); // { $id, providerType: 'email', status: 'processing', deliveryErrors: null, ... }
 * ```
 */
export function messageModel(message: MessageRecord): Record<string, unknown> {
  return {
    $id: message.id,
    $createdAt: appwriteDate(message.createdAt),
    $updatedAt: appwriteDate(message.updatedAt),
    providerType: message.providerType,
    topics: [...message.topics],
    users: [...message.users],
    targets: [...message.targets],
    scheduledAt: message.scheduledAt === null ? null : appwriteDate(message.scheduledAt),
    deliveredAt: message.deliveredAt === null ? null : appwriteDate(message.deliveredAt),
    deliveryErrors: message.deliveryErrors === null ? null : [...message.deliveryErrors],
    deliveredTotal: message.deliveredTotal,
    data: structuredClone(message.data),
    status: message.status,
  };
}
