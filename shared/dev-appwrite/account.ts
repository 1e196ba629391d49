/**
 * The Account API of the embedded Appwrite double: exchanging a custom-token secret for a session
 * (`POST /v1/account/sessions/token`, what the web SDK's `account.createSession` calls), reading
 * the signed-in account, listing its sessions, and deleting a session.
 *
 * The exchange follows Appwrite's `$createSession`: any of the user's unexpired tokens may match
 * (compared in constant time), the matched token is deleted, the session gets provider `token`
 * and factor `token`, and the cookies and `X-Fallback-Cookies` header carry it back to the client.
 * Like Appwrite, it does not look at the user's status: a blocked user gets a session that every
 * later request refuses with 403 `user_blocked`.
 *
 * @module
 */
import type { Context } from 'hono';
import { enforceAbuseLimit, resetAbuseLimit, type AbuseRule } from './abuse.js';
import { requireScope } from './auth.js';
import type { DevAppwriteContext, DevEnv, RouteModule } from './context.js';
import { AppwriteError, invalidParam } from './errors.js';
import { sessionModel, userModel } from './models.js';
import * as param from './params.js';
import { randomHex, secretMatches, sha256Hex, uniqueId } from './secrets.js';
import { clearSessionCookies, encodeSession, writeSessionCookies } from './session-transport.js';
import type { SessionRecord, TokenRecord, UserRecord } from './store.js';

/** `abuse-limit 10` per `abuse-time 3600` s on the exchange, keyed by IP and `userId`. */
export const tokenExchangeAbuseRule: AbuseRule = { limit: 10, seconds: 3600 };

/** Project `auths.duration` default: sessions last a year (`TOKEN_EXPIRATION_LOGIN_LONG`). */
const SESSION_DURATION_MS = 31_536_000 * 1000;
/** `APP_LIMIT_USER_SESSIONS_DEFAULT`: beyond this, the oldest sessions are deleted. */
const MAX_SESSIONS_PER_USER = 10;
/** `Proofs\Token` default length for session secrets. */
const SESSION_SECRET_LENGTH = 256;

/**
 * Registers the Account routes.
 *
 * @example
 * ```ts
 * registerAccountRoutes(app, ctx); // POST /v1/account/sessions/token, GET /v1/account, GET /v1/account/sessions, ...
 * ```
 */
export const registerAccountRoutes: RouteModule = (app, ctx) => {
  app.post('/v1/account/sessions/token', requireScope(ctx, 'sessions.write'), (c) => exchangeToken(ctx, c));

  app.get('/v1/account', requireScope(ctx, 'account'), (c) => c.json(userModel(currentUser(c), { withPassword: false })));

  // Oldest first, the current one marked; never a session's secret (Appwrite blanks it for clients too).
  app.get('/v1/account/sessions', requireScope(ctx, 'account'), (c) => {
    const { caller } = c.get('auth');
    if (caller.kind !== 'user') throw new AppwriteError('user_not_found');
    const sessions = ctx.store.sessionsOf(caller.user.id).map((session) => sessionModel(session, { current: session.id === caller.session.id, secret: '' }));
    return c.json({ total: sessions.length, sessions });
  });

  app.delete('/v1/account/sessions/:sessionId', requireScope(ctx, 'account'), (c) => deleteSession(ctx, c));
};

async function exchangeToken(ctx: DevAppwriteContext, c: Context<DevEnv>): Promise<Response> {
  const auth = c.get('auth');
  const params = await param.readParams(c);
  const now = ctx.clock.now();
  // Appwrite leaves the placeholder in the key when the parameter is empty.
  const abuseKey = `ip:${auth.ip},userId:${typeof params.userId === 'string' && params.userId !== '' ? params.userId : '{param-userId}'}`;
  // API keys are exempt from abuse limits in Appwrite.
  if (auth.caller.kind !== 'key') enforceAbuseLimit(c, ctx, abuseKey, tokenExchangeAbuseRule);
  if (auth.caller.kind === 'user') throw new AppwriteError('user_session_already_exists');

  const userId = param.customId(param.required(params, 'userId'), 'userId');
  const secret = tokenSecret(param.required(params, 'secret'));
  // Without a project header Appwrite looks in its console project, which holds none of these users.
  const user = auth.project === 'project' ? ctx.store.users.get(userId) : undefined;
  const token = user ? matchingToken(ctx, user, secret, now) : undefined;
  // An unknown user and a wrong, expired or used secret are indistinguishable on purpose.
  if (!user || !token) throw new AppwriteError('user_invalid_token');

  const sessionSecret = randomHex(SESSION_SECRET_LENGTH);
  const session = createSession(ctx, user, { secret: sessionSecret, ip: auth.ip, userAgent: c.req.header('user-agent') ?? 'UNKNOWN', now });
  ctx.store.tokens.delete(token.id);

  const encoded = encodeSession({ userId: user.id, secret: sessionSecret });
  writeSessionCookies(c, { projectId: ctx.projectId, value: encoded, expiresAtMs: session.expire, nowMs: now });
  resetAbuseLimit(ctx.store, abuseKey);
  // The session secret is sensitive: only API-key callers (server-side rendering) see it.
  return c.json(sessionModel(session, { current: true, secret: auth.caller.kind === 'key' ? encoded : '' }), 201);
}

/** Appwrite's `Text(256)`: non-empty, at most 256 characters. */
function tokenSecret(value: unknown): string {
  if (typeof value === 'string' && value.length >= 1 && value.length <= 256) return value;
  throw invalidParam('secret', 'Value must be a valid string and at least 1 chars and no longer than 256 chars');
}

/** Checks every unexpired token of the user, without stopping early, so timing reveals nothing. */
function matchingToken(ctx: DevAppwriteContext, user: UserRecord, secret: string, now: number): TokenRecord | undefined {
  let match: TokenRecord | undefined;
  for (const token of ctx.store.tokensOf(user.id)) {
    if (secretMatches(secret, token.secretHash) && token.expire >= now) match ??= token;
  }
  return match;
}

function createSession(
  ctx: DevAppwriteContext,
  user: UserRecord,
  details: { secret: string; ip: string; userAgent: string; now: number },
): SessionRecord {
  const session: SessionRecord = {
    id: uniqueId(details.now),
    userId: user.id,
    secretHash: sha256Hex(details.secret),
    createdAt: details.now,
    updatedAt: details.now,
    expire: details.now + SESSION_DURATION_MS,
    provider: 'token',
    factors: ['token'],
    ip: details.ip,
    userAgent: details.userAgent,
  };
  ctx.store.sessions.set(session.id, session);
  const sessions = ctx.store.sessionsOf(user.id);
  for (const stale of sessions.slice(0, Math.max(0, sessions.length - MAX_SESSIONS_PER_USER))) {
    ctx.store.sessions.delete(stale.id);
  }
  return session;
}

/** The signed-in user. A key holding the `account` scope has no account: 404, as in Appwrite. */
function currentUser(c: Context<DevEnv>): UserRecord {
  const { caller } = c.get('auth');
  if (caller.kind !== 'user') throw new AppwriteError('user_not_found');
  return caller.user;
}

function deleteSession(ctx: DevAppwriteContext, c: Context<DevEnv>): Response {
  const { caller } = c.get('auth');
  if (caller.kind !== 'user') throw new AppwriteError('user_not_found');
  const requested = c.req.param('sessionId');
  const sessionId = requested === 'current' ? caller.session.id : param.uid(requested, 'sessionId');
  const session = ctx.store.sessions.get(sessionId);
  if (!session || session.userId !== caller.user.id) throw new AppwriteError('user_session_not_found');
  ctx.store.sessions.delete(session.id);
  if (session.id === caller.session.id) clearSessionCookies(c, { projectId: ctx.projectId, nowMs: ctx.clock.now() });
  return c.body(null, 204);
}
