/**
 * Issuing the Appwrite token: the one place the kit calls `users.createToken`.
 *
 * @module
 */
import { envInt } from '../config.js';
import { KitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { IssuedToken, UserRecord, UsersDirectory } from '../users.js';

/** Appwrite's bounds for `users.createToken` (Users API: `length` 4-128, `expire` 60 s to a year). */
export const APPWRITE_TOKEN_BOUNDS = { length: { min: 4, max: 128 }, expire: { min: 60, max: 31_536_000 } } as const;

/** How long and how long-lived a function's token secrets are. */
export interface TokenSettings {
  /** Characters of the secret. */
  length: number;
  /** Seconds the secret stays valid. */
  expire: number;
}

function within(name: string, value: number, bounds: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new TypeError(`Token ${name} bound ${value} is outside Appwrite's ${bounds.min}-${bounds.max}.`);
  }
  return value;
}

/**
 * The bounds of a token variable, each inside Appwrite's, and the default inside the function's
 * own: zod hands back a default without checking it, so a default outside `min`-`max` would be
 * what an unset variable yields.
 */
function checkedBounds(name: string, options: { min?: number; max?: number; default: number }, bounds: { min: number; max: number }) {
  const min = within(name, options.min ?? bounds.min, bounds);
  const max = within(name, options.max ?? bounds.max, bounds);
  const fallback = within(name, options.default, bounds);
  if (min > max) throw new TypeError(`Token ${name} bounds ${min}-${max} are the wrong way round.`);
  if (fallback < min || fallback > max) throw new TypeError(`Token ${name} default ${fallback} is outside the function's ${min}-${max}.`);
  return { min, max, default: fallback };
}

/**
 * The schema of a `<FN>_TOKEN_LENGTH` variable. A function may narrow Appwrite's bounds (a secret
 * returned in a response can afford 64 characters; one read aloud cannot); it cannot widen them.
 * A bound outside Appwrite's, bounds the wrong way round, or a default outside them throw here,
 * when the function defines its config, rather than when a variable happens to be unset.
 *
 * @example
 * ```ts
 * z.object({ PASSWORD_TOKEN_LENGTH: tokenLength({ min: 32, default: 64 }) });
 * ```
 */
export function tokenLength(options: { min?: number; max?: number; default: number }) {
  return envInt(checkedBounds('length', options, APPWRITE_TOKEN_BOUNDS.length));
}

/**
 * The schema of a `<FN>_TOKEN_EXPIRE` variable, in seconds, inside Appwrite's bounds; checked at
 * definition as {@link tokenLength} is.
 *
 * @example
 * ```ts
 * z.object({ PASSWORD_TOKEN_EXPIRE: tokenExpire({ max: 900, default: 60 }) });
 * ```
 */
export function tokenExpire(options: { min?: number; max?: number; default: number }) {
  return envInt(checkedBounds('expire', options, APPWRITE_TOKEN_BOUNDS.expire));
}

/**
 * Mints the token a client exchanges with `account.createSession({ userId, secret })`. A blocked
 * user gets none (403 `user_blocked`, Appwrite 1.9's own type and status for it). Logs one line, without the secret.
 *
 * @example
 * ```ts
 * const token = await issueToken({ users, logger }, user, { length: 64, expire: 60 });
 * ```
 */
export async function issueToken(
  ports: { users: UsersDirectory; logger: Logger },
  user: UserRecord,
  settings: TokenSettings,
): Promise<IssuedToken> {
  if (!user.enabled) {
    ports.logger.warn('token_refused', { userId: user.id, reason: 'user_blocked' });
    throw new KitError('user_blocked', 'This account is blocked.');
  }
  const token = await ports.users.createToken(user.id, settings);
  ports.logger.info('token_issued', { userId: user.id, expire: token.expire });
  return token;
}
