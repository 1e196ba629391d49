/**
 * Who may call what on the embedded Appwrite double: project resolution, API keys, sessions,
 * scopes and blocked users, in the order Appwrite's `app/controllers/shared/api.php` checks them.
 *
 * @module
 */
import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import type { Caller, DevAppwriteContext, DevEnv, RequestAuth } from './context.js';
import { AppwriteError } from './errors.js';
import { secretMatches } from './secrets.js';
import { jwtCaller } from './jwts.js';
import { readSessionCredentials } from './session-transport.js';

/** Scopes every guest has (Appwrite's `guests` role, trimmed to what the double serves). */
export const guestScopes: readonly string[] = [
  'global',
  'public',
  'home',
  'graphql',
  'sessions.write',
  'documents.read',
  'documents.write',
  'rows.read',
  'rows.write',
  'files.read',
  'files.write',
  'locale.read',
  'avatars.read',
  'execution.write',
];

/** Scopes of a signed-in user: a guest's plus the account's own. */
export const userScopes: readonly string[] = [...guestScopes, 'account', 'teams.read', 'teams.write'];

/** Scopes every API key has on top of its own (Appwrite's `apps` role). */
export const appScopes: readonly string[] = ['global', 'health.read', 'graphql'];

const roleLabels = { apps: 'applications', users: 'users', guests: 'guests' } as const;

/** Appwrite refreshes `accessedAt` at most once per this many milliseconds (`APP_USER_ACCESS`). */
const USER_ACCESS_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * A middleware that lets a request through only if its caller holds `scope`, after resolving the
 * project, the API key and the session. It stores the result as `c.get('auth')`.
 *
 * Failures, as in Appwrite: unknown project → 404 `project_not_found`; a key that is not one of
 * the project's → 401 `user_unauthorized`; missing scope → 401 `general_unauthorized_scope`;
 * blocked user → 403 `user_blocked`.
 *
 * @example
 * ```ts
 * app.get('/v1/users/:userId', requireScope(ctx, 'users.read'), (c) => c.json(...));
 * ```
 */
export function requireScope(ctx: DevAppwriteContext, scope: string): MiddlewareHandler<DevEnv> {
  return async (c, next) => {
    const auth = resolveAuth(c, ctx);
    c.set('auth', auth);
    if (!auth.scopes.has(scope)) throw missingScope(c, ctx, auth, scope);
    if (auth.caller.kind === 'user') {
      // Appwrite checks `status` on every request, so a blocked user's sessions stop working at once.
      if (!auth.caller.user.status) throw new AppwriteError('user_blocked');
      touchAccessedAt(ctx, auth.caller.user);
    }
    await next();
  };
}

/**
 * Resolves project, caller, role, scopes and IP of a request without demanding a scope, for
 * routes whose access depends on more than one scope (such as document permissions).
 *
 * @example
 * ```ts
 * const { caller, role } = resolveAuth(c, ctx); // caller.kind: 'key' | 'user' | 'guest'
 * ```
 */
export function resolveAuth(c: Context, ctx: DevAppwriteContext): RequestAuth {
  const project = resolveProject(c, ctx);
  const ip = clientIp(c, ctx.trustedHeaders);
  const key = c.req.header('x-appwrite-key');
  if (key) {
    const keyScopes = project === 'project' ? ctx.apiKeys.get(key) : undefined;
    if (!keyScopes) throw new AppwriteError('user_unauthorized');
    return { project, ip, role: 'apps', caller: { kind: 'key', keyScopes }, scopes: new Set([...appScopes, ...keyScopes]) };
  }
  const caller = project === 'project' ? (jwtCaller(c, ctx, readSessionCredentials(c, ctx.projectId) !== null) ?? sessionCaller(c, ctx)) : ({ kind: 'guest' } as const);
  return caller.kind === 'user'
    ? { project, ip, role: 'users', caller, scopes: new Set(userScopes) }
    : { project, ip, role: 'guests', caller, scopes: new Set(guestScopes) };
}

/**
 * The project a request names. Appwrite treats a missing header as its reserved `console` project,
 * in which the double has no keys, users or sessions, so such requests fail the way they fail
 * against a real server (guest scopes, unknown key, invalid token) rather than with a special error.
 */
function resolveProject(c: Context, ctx: DevAppwriteContext): RequestAuth['project'] {
  // Appwrite reads a `project` parameter first (for links that cannot carry headers), then the header.
  const projectId = c.req.query('project') || c.req.header('x-appwrite-project') || '';
  if (projectId === '' || projectId === 'console') return 'console';
  if (projectId !== ctx.projectId) throw new AppwriteError('project_not_found');
  return 'project';
}

/** The session's user, or a guest when the credentials are absent, wrong or expired. */
function sessionCaller(c: Context, ctx: DevAppwriteContext): Caller {
  const credentials = readSessionCredentials(c, ctx.projectId);
  if (!credentials) return { kind: 'guest' };
  const user = ctx.store.users.get(credentials.userId);
  if (!user) return { kind: 'guest' };
  const now = ctx.clock.now();
  const session = ctx.store
    .sessionsOf(user.id)
    .find((candidate) => candidate.expire >= now && secretMatches(credentials.secret, candidate.secretHash));
  return session ? { kind: 'user', user, session, sessionSecret: credentials.secret } : { kind: 'guest' };
}

function missingScope(c: Context, ctx: DevAppwriteContext, auth: RequestAuth, scope: string): AppwriteError {
  // Appwrite names the caller by email: the key's service address, the user's email, or "User".
  const who =
    auth.caller.kind === 'key'
      ? `app.${ctx.projectId}@service.${new URL(c.req.url).hostname}`
      : auth.caller.kind === 'user'
        ? (auth.caller.user.email ?? '')
        : 'User';
  return new AppwriteError(
    'general_unauthorized_scope',
    `${who} (role: ${roleLabels[auth.role]}) missing scopes (${JSON.stringify([scope])})`,
  );
}

function touchAccessedAt(ctx: DevAppwriteContext, user: { accessedAt: number | null }): void {
  const now = ctx.clock.now();
  if (user.accessedAt === null || now - user.accessedAt > USER_ACCESS_INTERVAL_MS) user.accessedAt = now;
}

/**
 * The client IP as Appwrite derives it (utopia-php/http `Request::getIP`): the leftmost entry of the
 * first trusted header whose leftmost entry is a valid address, else the socket's address when
 * served by `@hono/node-server`, else `unknown`. No header is trusted unless configured.
 */
function clientIp(c: Context, trustedHeaders: readonly string[]): string {
  for (const name of trustedHeaders) {
    const leftmost = c.req.header(name)?.split(',')[0]?.trim() ?? '';
    if (isIP(leftmost) !== 0) return leftmost;
  }
  const env: unknown = c.env;
  if (typeof env === 'object' && env !== null && 'incoming' in env) {
    const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming;
    const address = incoming?.socket?.remoteAddress;
    if (address) return address.replace(/^::ffff:/, '');
  }
  return 'unknown';
}
