/**
 * `POST /v1/users/{userId}/tokens` of the embedded Appwrite double: mints a custom-token login
 * secret (lower-case hex, `length` 4–128, default 6; valid `expire` 60–31536000 s, default 900),
 * stores only its sha256, and returns the plaintext once, to the API-key caller.
 *
 * @module
 */
import { requireScope } from './auth.js';
import type { RouteModule } from './context.js';
import { AppwriteError } from './errors.js';
import { tokenModel } from './models.js';
import * as param from './params.js';
import { randomHex, sha256Hex, uniqueId } from './secrets.js';
import type { TokenRecord } from './store.js';

/** Appwrite's defaults and bounds for `users.createToken`. */
export const tokenLimits = {
  defaultLength: 6,
  minLength: 4,
  maxLength: 128,
  /** `TOKEN_EXPIRATION_GENERIC`, seconds. */
  defaultExpire: 900,
  minExpire: 60,
  /** `TOKEN_EXPIRATION_LOGIN_LONG` (one year), seconds. */
  maxExpire: 31_536_000,
} as const;

/**
 * Registers the token-minting route.
 *
 * @example
 * ```ts
 * registerTokenRoutes(app, ctx); // POST /v1/users/:userId/tokens
 * ```
 */
export const registerTokenRoutes: RouteModule = (app, ctx) => {
  app.post('/v1/users/:userId/tokens', requireScope(ctx, 'users.write'), async (c) => {
    const params = await param.readParams(c);
    const userId = param.uid(c.req.param('userId'), 'userId');
    const length = param.range(params.length ?? tokenLimits.defaultLength, 'length', tokenLimits.minLength, tokenLimits.maxLength);
    const expire = param.range(params.expire ?? tokenLimits.defaultExpire, 'expire', tokenLimits.minExpire, tokenLimits.maxExpire);
    if (!ctx.store.users.has(userId)) throw new AppwriteError('user_not_found');

    const now = ctx.clock.now();
    const secret = randomHex(length);
    const token: TokenRecord = { id: uniqueId(now), userId, secretHash: sha256Hex(secret), createdAt: now, expire: now + expire * 1000 };
    ctx.store.tokens.set(token.id, token);
    // Appwrite hides the secret from everyone but privileged callers; this route admits keys only.
    const visibleSecret = c.get('auth').caller.kind === 'key' ? secret : '';
    return c.json(tokenModel(token, visibleSecret), 201);
  });
};
