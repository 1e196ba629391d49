/**
 * The three kinds of limit a route asks for, as `LimitCheck`s for the guard. Routes name a scope
 * and rules; the subject key is built here, from what an attacker cannot choose (`keys.ts`).
 *
 * @module
 */
import type { LimitCheck } from './guard.js';
import { accountKey, clientIpKey, type AccountKind } from './keys.js';
import type { RateLimitRule } from './store.js';

/**
 * Attempts per client IP as the platform reported it (IPv6 per /64).
 *
 * @example
 * ```ts
 * perClientIp('password.login.ip', c.env?.clientIp, config.PASSWORD_LIMIT_LOGIN_IP);
 * ```
 */
export function perClientIp(scope: string, clientIp: string | null | undefined, rules: readonly RateLimitRule[]): LimitCheck {
  return { scope, subject: clientIpKey(clientIp), rules };
}

/**
 * Attempts per account identifier, whether or not the account exists (so limits cannot enumerate
 * accounts). Pass the identifier already normalised.
 *
 * @example
 * ```ts
 * await perAccount('password.account', 'username', 'alice', config.PASSWORD_LIMIT_ACCOUNT);
 * ```
 */
export async function perAccount(scope: string, kind: AccountKind, identifier: string, rules: readonly RateLimitRule[]): Promise<LimitCheck> {
  return { scope, subject: await accountKey(kind, identifier), rules };
}

/**
 * Attempts by everyone together: a ceiling on a distributed burst.
 *
 * @example
 * ```ts
 * acrossEveryone('password.register.all', config.PASSWORD_LIMIT_REGISTER_ALL);
 * ```
 */
export function acrossEveryone(scope: string, rules: readonly RateLimitRule[]): LimitCheck {
  return { scope, subject: 'all', rules };
}
