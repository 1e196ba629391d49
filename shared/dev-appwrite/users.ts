/**
 * The Users API of the embedded Appwrite double (`/v1/users...`): create, get, list, delete and
 * the per-field updates the kit uses. Server-side only: every route needs an API key with
 * `users.read` or `users.write`, and answers with the `User` model including the password hash.
 * Creating a user and setting a password apply the project's password policies
 * (`password-policies.ts`).
 *
 * @module
 */
import type { Context } from 'hono';
import { requireScope } from './auth.js';
import type { DevAppwriteContext, DevEnv, RouteModule } from './context.js';
import { AppwriteError } from './errors.js';
import { userModel } from './models.js';
import * as param from './params.js';
import { checkedPassword, checkPersonalData, nextPasswordHistory } from './password-policies.js';
import { argon2HashOptions, hashPassword } from './passwords.js';
import { applyQueries, parseQueries } from './queries.js';
import { uniqueId } from './secrets.js';
import type { UserRecord } from './store.js';

/** The attributes `users.list` may filter on, as in Appwrite's `Queries\Users` validator. */
const filterableAttributes: Record<string, (user: UserRecord) => unknown> = {
  name: (user) => user.name,
  email: (user) => user.email,
  phone: (user) => user.phone,
  status: (user) => user.status,
  labels: (user) => user.labels,
  emailVerification: (user) => user.emailVerification,
  phoneVerification: (user) => user.phoneVerification,
};

/**
 * Registers the Users routes.
 *
 * @example
 * ```ts
 * registerUserRoutes(app, ctx); // POST /v1/users, GET /v1/users/:userId, ...
 * ```
 */
export const registerUserRoutes: RouteModule = (app, ctx) => {
  const read = requireScope(ctx, 'users.read');
  const write = requireScope(ctx, 'users.write');

  app.post('/v1/users', write, async (c) => c.json(present(await createUser(ctx, await param.readParams(c))), 201));

  app.get('/v1/users', read, async (c) => c.json(listUsers(ctx, await param.readParams(c))));

  app.get('/v1/users/:userId', read, (c) => c.json(present(loadUser(ctx, c))));

  app.delete('/v1/users/:userId', write, (c) => {
    ctx.store.deleteUser(loadUser(ctx, c).id);
    return c.body(null, 204);
  });

  app.delete('/v1/users/:userId/sessions', write, (c) => {
    ctx.store.deleteSessionsOf(loadUser(ctx, c).id);
    return c.body(null, 204);
  });

  app.get('/v1/users/:userId/prefs', read, (c) => c.json({ ...loadUser(ctx, c).prefs }));

  app.patch('/v1/users/:userId/prefs', write, async (c) => {
    const prefs = param.assoc(param.required(await param.readParams(c), 'prefs'), 'prefs');
    return c.json({ ...update(ctx, c, (user) => (user.prefs = prefs)).prefs });
  });

  app.patch('/v1/users/:userId/status', write, async (c) => {
    const status = param.bool(param.required(await param.readParams(c), 'status'), 'status');
    return c.json(present(update(ctx, c, (user) => (user.status = status))));
  });

  app.put('/v1/users/:userId/labels', write, async (c) => {
    const labels = param.labels(param.required(await param.readParams(c), 'labels'), 'labels');
    return c.json(present(update(ctx, c, (user) => (user.labels = labels))));
  });

  app.patch('/v1/users/:userId/name', write, async (c) => {
    const name = param.text(param.required(await param.readParams(c), 'name'), 'name', 128);
    return c.json(present(update(ctx, c, (user) => (user.name = name))));
  });

  app.patch('/v1/users/:userId/email', write, async (c) => {
    const raw = param.required(await param.readParams(c), 'email');
    const email = raw === '' ? null : param.email(raw, 'email');
    const user = loadUser(ctx, c);
    if (email !== null && email !== user.email && ctx.store.findUserBy('email', email)) {
      throw new AppwriteError('user_email_already_exists');
    }
    return c.json(present(update(ctx, c, (target) => Object.assign(target, { email, emailVerification: false }))));
  });

  app.patch('/v1/users/:userId/phone', write, async (c) => {
    const raw = param.required(await param.readParams(c), 'number');
    const phone = raw === '' ? null : param.phone(raw, 'number');
    const user = loadUser(ctx, c);
    if (phone !== null && phone !== user.phone && ctx.store.findUserBy('phone', phone)) {
      throw new AppwriteError('user_phone_already_exists');
    }
    return c.json(present(update(ctx, c, (target) => Object.assign(target, { phone, phoneVerification: false }))));
  });

  app.patch('/v1/users/:userId/verification', write, async (c) => {
    const verified = param.bool(param.required(await param.readParams(c), 'emailVerification'), 'emailVerification');
    return c.json(present(update(ctx, c, (user) => (user.emailVerification = verified))));
  });

  app.patch('/v1/users/:userId/verification/phone', write, async (c) => {
    const verified = param.bool(param.required(await param.readParams(c), 'phoneVerification'), 'phoneVerification');
    return c.json(present(update(ctx, c, (user) => (user.phoneVerification = verified))));
  });

  app.patch('/v1/users/:userId/password', write, async (c) => {
    const raw = param.required(await param.readParams(c), 'password');
    // An empty password removes it, as in Appwrite; anything else must pass the parameter's validators.
    const plaintext = raw === '' ? '' : checkedPassword(ctx, raw);
    const user = loadUser(ctx, c);
    checkPersonalData(ctx, plaintext, user, { allowEmpty: false });
    const phc = plaintext === '' ? null : await hashPassword(plaintext, ctx.passwordHashOptions);
    const history = phc === null ? user.passwordHistory : await nextPasswordHistory(ctx, user.passwordHistory, plaintext, phc);
    return c.json(
      present(
        update(ctx, c, (target) => {
          target.password = phc;
          target.passwordHistory = history;
          target.hashOptions = argon2HashOptions(ctx.passwordHashOptions);
          target.passwordUpdate = ctx.clock.now();
        }),
      ),
    );
  });
};

/** Users routes answer API keys only, which see the password fields. */
function present(user: UserRecord): Record<string, unknown> {
  return userModel(user, { withPassword: true });
}

/** The path's user, or 404 `user_not_found` (400 first if the ID is not even well-formed). */
function loadUser(ctx: DevAppwriteContext, c: Context<DevEnv>): UserRecord {
  const user = ctx.store.users.get(param.uid(c.req.param('userId'), 'userId'));
  if (!user) throw new AppwriteError('user_not_found');
  return user;
}

/** Applies a change to the path's user, then refreshes what derives from it. */
function update(ctx: DevAppwriteContext, c: Context<DevEnv>, change: (user: UserRecord) => void): UserRecord {
  const user = loadUser(ctx, c);
  change(user);
  user.updatedAt = ctx.clock.now();
  syncTargets(user, user.updatedAt);
  return user;
}

async function createUser(ctx: DevAppwriteContext, params: param.Params): Promise<UserRecord> {
  const now = ctx.clock.now();
  const requestedId = param.customId(param.required(params, 'userId'), 'userId');
  const email = isEmpty(params.email) ? null : param.email(params.email, 'email');
  const phone = isEmpty(params.phone) ? null : param.phone(params.phone, 'phone');
  const name = isEmpty(params.name) ? '' : param.text(params.name, 'name', 128);
  const plaintext = isEmpty(params.password) ? null : checkedPassword(ctx, params.password);
  const id = requestedId === 'unique()' ? uniqueId(now) : requestedId;
  checkPersonalData(ctx, plaintext ?? '', { id, email, name, phone }, { allowEmpty: true });
  assertAvailable(ctx, { id, email, phone });

  const passwordHash = plaintext === null ? null : await hashPassword(plaintext, ctx.passwordHashOptions);
  // Hashing yields the event loop: a concurrent create may have taken the ID meanwhile.
  assertAvailable(ctx, { id, email, phone });
  const user: UserRecord = {
    id,
    createdAt: now,
    updatedAt: now,
    name,
    email,
    phone,
    password: passwordHash,
    passwordHistory: passwordHash !== null && ctx.passwordPolicies.passwordHistory > 0 ? [passwordHash] : [],
    hash: 'argon2',
    hashOptions: argon2HashOptions(ctx.passwordHashOptions),
    registration: now,
    status: true,
    labels: [],
    passwordUpdate: passwordHash === null ? null : now,
    emailVerification: false,
    phoneVerification: false,
    mfa: false,
    prefs: {},
    targets: [],
    accessedAt: null,
  };
  syncTargets(user, now);
  ctx.store.users.set(id, user);
  return user;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Appwrite keeps `$id`, email and phone unique; any clash is 409 `user_already_exists`. */
function assertAvailable(ctx: DevAppwriteContext, user: { id: string; email: string | null; phone: string | null }): void {
  const taken =
    ctx.store.users.has(user.id) ||
    (user.email !== null && ctx.store.findUserBy('email', user.email) !== undefined) ||
    (user.phone !== null && ctx.store.findUserBy('phone', user.phone) !== undefined);
  if (taken) throw new AppwriteError('user_already_exists');
}

function listUsers(ctx: DevAppwriteContext, params: param.Params): { total: number; users: Record<string, unknown>[] } {
  const parsed = parseQueries(params.queries, filterableAttributes);
  const search = typeof params.search === 'string' ? params.search.trim().toLowerCase() : '';
  const wantTotal = params.total === undefined ? true : param.bool(params.total, 'total');
  const candidates = [...ctx.store.users.values()].filter((user) => search === '' || matchesSearch(user, search));
  const { total, page } = applyQueries(candidates, parsed);
  return { total: wantTotal ? total : 0, users: page.map(present) };
}

/** Appwrite searches a full-text index over `userId email phone name`; every term must appear. */
function matchesSearch(user: UserRecord, search: string): boolean {
  const haystack = [user.id, user.email ?? '', user.phone ?? '', user.name].join(' ').toLowerCase();
  return search.split(/\s+/).every((term) => haystack.includes(term));
}

/** Keeps one email and one SMS messaging target in step with the user's email and phone. */
function syncTargets(user: UserRecord, now: number): void {
  const wanted = [
    { providerType: 'email' as const, identifier: user.email },
    { providerType: 'sms' as const, identifier: user.phone },
  ];
  for (const { providerType, identifier } of wanted) {
    const existing = user.targets.find((target) => target.providerType === providerType);
    if (identifier === null) {
      user.targets = user.targets.filter((target) => target !== existing);
    } else if (!existing) {
      user.targets.push({ id: uniqueId(now), createdAt: now, updatedAt: now, providerType, identifier });
    } else if (existing.identifier !== identifier) {
      Object.assign(existing, { identifier, updatedAt: now });
    }
  }
}
