/**
 * Account JWTs on the embedded Appwrite double: `POST /v1/account/jwts` (`account.createJWT()`) and
 * the `X-Appwrite-JWT` header that authenticates a request as the JWT's user.
 *
 * As in Appwrite 1.9.6 (`account.php`, `app/init/resources/request.php`): HS256 over
 * `{ userId, sessionId, exp }` with a server secret (a random one per double), `duration` 0 to 3600
 * seconds, default 900; a bad signature or an expired token → 401 `user_jwt_invalid`; a JWT whose
 * session is gone makes the request a guest's; a JWT sent with a session → 403
 * `user_jwt_and_cookie_set`. Only the double can check its JWTs, as only Appwrite can check its own.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { requireScope } from './auth.js';
import type { Caller, DevAppwriteContext, DevEnv, RouteModule } from './context.js';
import { AppwriteError, invalidParam } from './errors.js';
import * as param from './params.js';

/** `duration`'s default and ceiling in seconds (`Range(0, 3600)`, default 900). */
const DEFAULT_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 3600;

/** One signing key per double: its JWTs mean nothing to another. */
const signingKeys = new WeakMap<DevAppwriteContext, Buffer>();
const keyOf = (ctx: DevAppwriteContext) => {
  let key = signingKeys.get(ctx);
  if (!key) signingKeys.set(ctx, (key = randomBytes(32)));
  return key;
};

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const HEADER = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));

function sign(ctx: DevAppwriteContext, payload: { userId: string; sessionId: string; exp: number }): string {
  const body = `${HEADER}.${base64url(JSON.stringify(payload))}`;
  return `${body}.${createHmac('sha256', keyOf(ctx)).update(body).digest('base64url')}`;
}

/** The payload of a JWT this double signed and that has not expired, or `null`. */
function verify(ctx: DevAppwriteContext, jwt: string): { userId: string; sessionId: string } | null {
  const [header, payload, signature, ...rest] = jwt.split('.');
  if (header !== HEADER || !payload || !signature || rest.length > 0) return null;
  const expected = createHmac('sha256', keyOf(ctx)).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null) return null;
  const { userId, sessionId, exp } = claims as Record<string, unknown>;
  if (typeof userId !== 'string' || typeof sessionId !== 'string' || typeof exp !== 'number') return null;
  return exp * 1000 >= ctx.clock.now() ? { userId, sessionId } : null;
}

/**
 * The caller an `X-Appwrite-JWT` header names, or `undefined` when the request has none.
 *
 * @example
 * ```ts
 * const caller = jwtCaller(c, ctx, hasSession) ?? sessionCaller(c, ctx);
 * ```
 */
export function jwtCaller(c: Context, ctx: DevAppwriteContext, hasSession: boolean): Caller | undefined {
  const jwt = c.req.header('x-appwrite-jwt');
  if (!jwt) return undefined;
  if (hasSession) throw new AppwriteError('user_jwt_and_cookie_set');
  const claims = verify(ctx, jwt);
  if (!claims) throw new AppwriteError('user_jwt_invalid');
  const user = ctx.store.users.get(claims.userId);
  if (!user) throw new AppwriteError('user_jwt_invalid');
  const session = ctx.store.sessions.get(claims.sessionId);
  // A JWT outlives nothing: once its session is deleted or expired, its holder is a guest.
  if (!session || session.userId !== user.id || session.expire < ctx.clock.now()) return { kind: 'guest' };
  return { kind: 'user', user, session, sessionSecret: '' };
}

/**
 * Registers `POST /v1/account/jwts`.
 *
 * @example
 * ```ts
 * registerJwtRoutes(app, ctx); // account.createJWT() → { jwt }
 * ```
 */
export const registerJwtRoutes: RouteModule = (app, ctx) => {
  app.post('/v1/account/jwts', requireScope(ctx, 'account'), async (c: Context<DevEnv>) => {
    const { caller } = c.get('auth');
    if (caller.kind !== 'user') throw new AppwriteError('user_not_found');
    const params = await param.readParams(c);
    const duration = params.duration ?? DEFAULT_DURATION_SECONDS;
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 0 || duration > MAX_DURATION_SECONDS) {
      throw invalidParam('duration', `Value must be a valid range between 0 and ${MAX_DURATION_SECONDS.toLocaleString('en')}`);
    }
    const exp = Math.floor(ctx.clock.now() / 1000) + duration;
    return c.json({ jwt: sign(ctx, { userId: caller.user.id, sessionId: caller.session.id, exp }) }, 201);
  });
};
