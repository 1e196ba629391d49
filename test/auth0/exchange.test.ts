/**
 * `POST /auth0/exchange` end to end through `npm start`'s server (`startNodeServer` with every kit
 * function), its embedded Appwrite, and the local OIDC issuer on loopback: the answer's secret
 * opens a session with the real `appwrite` web SDK, the same `sub` is always the same user, roles
 * become labels, the email is copied only when verified and never links to another user, a
 * blocked user gets nothing, and concurrent first exchanges create one user. Every answer is
 * checked against the OpenAPI document npm start serves, and no log line holds a secret.
 */
import { AppwriteException } from 'appwrite';
import { Client as ServerClient, Query, Users } from 'node-appwrite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { createLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { userIdForOidcSubject } from '../../shared/sign-in/user-id.js';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';
import { expectNoSecretIn } from '../sign-in/helpers.js';
import { openSession, ROLES_CLAIM, roomyLimits } from './helpers.js';

const lines: string[] = [];
const logger = createLogger((line) => void lines.push(line));
const secrets: string[] = [];
const servers: RunningNodeServer[] = [];
const document = openApiDocument(kitFunctions, { mounted: true });

let issuer: OidcIssuer;
let server: RunningNodeServer;

async function start(env: Record<string, string> = {}): Promise<RunningNodeServer> {
  const running = await startNodeServer({
    env: { PORT: '0', ...issuer.env(), AUTH0_ROLES_CLAIM: ROLES_CLAIM, AUTH0_PREFS_CLAIMS: 'locale,https://kit.example/plan', ...roomyLimits, ...env },
    functions: kitFunctions,
    logger,
  });
  servers.push(running);
  return running;
}

beforeAll(async () => {
  issuer = await startOidcIssuer();
  server = await start();
});
afterAll(async () => {
  await Promise.all(servers.map((running) => running.close()));
  await issuer.close();
  delete (globalThis as { window?: unknown }).window;
});
afterEach(() => expectNoSecretIn(lines, secrets));

let subjects = 0;
/** A `sub` no other test has used. */
const freshSub = (name = 'user') => `auth0|${name}-${++subjects}-${Date.now().toString(36)}`;

interface Answer {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}

async function exchange(target: RunningNodeServer, init: { bearer?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.bearer !== undefined) headers['authorization'] = `Bearer ${init.bearer}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${target.url}/auth0/exchange`, {
    method: 'POST',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  await expectDocumentedAnswer(document, 'post', '/auth0/exchange', response);
  const json = (await response.json()) as Record<string, unknown>;
  if (typeof json['secret'] === 'string') secrets.push(json['secret']);
  return { status: response.status, json, headers: response.headers };
}

const accessToken = (claims: Record<string, unknown>) => issuer.sign(issuer.accessClaims(claims));

function adminUsers(target: RunningNodeServer): Users {
  const { endpoint, projectId, apiKey } = target.appwrite;
  return new Users(new ServerClient().setEndpoint(endpoint).setProject(projectId).setKey(apiKey!));
}

const session = (target: RunningNodeServer, answer: Answer) =>
  openSession(target.appwrite.endpoint, target.appwrite.projectId, String(answer.json['userId']), String(answer.json['secret']));

describe('POST /auth0/exchange', () => {
  it('answers 200 { userId, secret, expire } for a valid access token; the secret opens a session with the web SDK', async () => {
    const sub = freshSub('alice');
    const answer = await exchange(server, { bearer: await accessToken({ sub, name: 'Alice' }) });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(answer.json).sort()).toEqual(['expire', 'secret', 'userId']);
    expect(answer.json['secret']).toMatch(/^[0-9a-f]{64}$/);
    const userId = await userIdForOidcSubject(issuer.url, sub);
    expect(answer.json['userId']).toBe(userId);
    const { user } = await session(server, answer);
    expect(user).toMatchObject({ $id: userId, name: 'Alice', email: '' });
  });

  it('gives the same user for the same sub every time, from the header or the JSON field; another sub is another user', async () => {
    const sub = freshSub('bob');
    const first = await exchange(server, { bearer: await accessToken({ sub }) });
    const second = await exchange(server, { body: { token: await accessToken({ sub }) } });
    const other = await exchange(server, { bearer: await accessToken({ sub: freshSub('bob') }) });
    expect(first.status).toBe(200);
    expect(second.json['userId']).toBe(first.json['userId']);
    expect(other.json['userId']).not.toBe(first.json['userId']);
    expect((await session(server, second)).user.$id).toBe(first.json['userId']);
  });

  it('refuses a token in both places, in neither, or under another scheme with 400 invalid_request', async () => {
    const token = await accessToken({ sub: freshSub() });
    for (const init of [{ bearer: token, body: { token } }, {}, { body: {} }, { headers: { authorization: `Basic ${token}` } }]) {
      const answer = await exchange(server, init);
      expect(answer.status, JSON.stringify(Object.keys(init))).toBe(400);
      expect(answer.json['type']).toBe('invalid_request');
    }
  });

  it('refuses a token that does not verify with 401 invalid_token: another audience, an ID token, a machine token', async () => {
    const sub = freshSub();
    const refused = [
      await accessToken({ sub, aud: 'https://another.api/' }),
      await issuer.sign(issuer.idClaims({ sub })),
      await accessToken({ sub: 'client-id@clients', gty: 'client-credentials' }),
      'not.a.token',
    ];
    for (const token of refused) {
      const answer = await exchange(server, { bearer: token });
      expect(answer.status).toBe(401);
      expect(answer.json['type']).toBe('invalid_token');
    }
    expect((await adminUsers(server).list({ queries: [Query.equal('name', [sub])] })).total).toBe(0);
  });

  it('maps the roles claim to prefixed labels on every exchange, keeping labels the kit does not manage', async () => {
    const sub = freshSub('carol');
    const users = adminUsers(server);
    const first = await exchange(server, { bearer: await accessToken({ sub, [ROLES_CLAIM]: ['admin', 'content-editor', 'admin'] }) });
    const userId = String(first.json['userId']);
    expect((await users.get({ userId })).labels).toEqual(['auth0admin', 'auth0contenteditor']);

    // A label someone else set stays; a role the issuer took away goes.
    await users.updateLabels({ userId, labels: ['vip', 'auth0admin', 'auth0contenteditor'] });
    await exchange(server, { bearer: await accessToken({ sub, [ROLES_CLAIM]: ['viewer'] }) });
    expect((await users.get({ userId })).labels).toEqual(['vip', 'auth0viewer']);
    // The signed-in user sees them too (labels drive Appwrite permissions).
    const answer = await exchange(server, { bearer: await accessToken({ sub }) });
    expect((await session(server, answer)).user.labels).toEqual(['vip']);
  });

  it('copies the configured claims into prefs under auth0, keeping the user’s own prefs', async () => {
    const sub = freshSub('dora');
    const users = adminUsers(server);
    const first = await exchange(server, { bearer: await accessToken({ sub, locale: 'de', 'https://kit.example/plan': 'pro', secret_claim: 'x' }) });
    const userId = String(first.json['userId']);
    expect(await users.getPrefs({ userId })).toEqual({ auth0: { locale: 'de', 'https://kit.example/plan': 'pro' } });

    await users.updatePrefs({ userId, prefs: { theme: 'dark', auth0: { locale: 'de', 'https://kit.example/plan': 'pro' } } });
    await exchange(server, { bearer: await accessToken({ sub, locale: 'fr' }) });
    expect(await users.getPrefs({ userId })).toEqual({ theme: 'dark', auth0: { locale: 'fr' } });
  });

  it('copies the email only when email_verified is true', async () => {
    const users = adminUsers(server);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ email: 'unverified@example.com', email_verified: false }, ''],
      [{ email: 'unsaid@example.com' }, ''],
      [{ email: 'stringly@example.com', email_verified: 'true' }, ''],
      [{ email: 'Verified@Example.com', email_verified: true }, 'verified@example.com'],
    ];
    for (const [claims, expected] of cases) {
      const answer = await exchange(server, { bearer: await accessToken({ sub: freshSub('erin'), ...claims }) });
      expect((await users.get({ userId: String(answer.json['userId']) })).email, JSON.stringify(claims)).toBe(expected);
    }
  });

  it('never links by email: a token carrying another user’s verified email signs in as its own new user, without the email', async () => {
    const users = adminUsers(server);
    const victim = await users.create({ userId: `victim${Date.now().toString(36)}`, email: 'victim@example.com', name: 'Victim' });
    const answer = await exchange(server, { bearer: await accessToken({ sub: freshSub('attacker'), email: 'victim@example.com', email_verified: true, [ROLES_CLAIM]: ['admin'] }) });

    expect(answer.status).toBe(200);
    expect(answer.json['userId']).not.toBe(victim.$id);
    const { user } = await session(server, answer);
    expect(user.email).toBe('');
    // The victim is untouched: no labels, no token, no session.
    const after = await users.get({ userId: victim.$id });
    expect(after.labels).toEqual([]);
    expect(server.devAppwrite!.store.sessionsOf(victim.$id)).toEqual([]);
    expect(server.devAppwrite!.store.tokensOf(victim.$id)).toEqual([]);
    expect(lines).toContain(`email_not_copied userId="${String(answer.json['userId'])}" reason="email_taken"`);
  });

  it('gives a blocked user no token: 403 user_blocked', async () => {
    const sub = freshSub('frank');
    const first = await exchange(server, { bearer: await accessToken({ sub }) });
    const userId = String(first.json['userId']);
    await adminUsers(server).updateStatus({ userId, status: false });
    const tokens = server.devAppwrite!.store.tokensOf(userId).length;

    const answer = await exchange(server, { bearer: await accessToken({ sub, [ROLES_CLAIM]: ['admin'] }) });
    expect(answer.status).toBe(403);
    expect(answer.json['type']).toBe('user_blocked');
    expect(server.devAppwrite!.store.tokensOf(userId)).toHaveLength(tokens);
    // Nor did the blocked user's labels change.
    expect((await adminUsers(server).get({ userId })).labels).toEqual([]);
  });

  it('creates one user for many concurrent first exchanges of one sub', async () => {
    const sub = freshSub('gina');
    const tokens = await Promise.all(Array.from({ length: 8 }, () => accessToken({ sub, email: 'gina@example.com', email_verified: true })));
    const answers = await Promise.all(tokens.map((bearer) => exchange(server, { bearer })));
    const userId = await userIdForOidcSubject(issuer.url, sub);
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((answer) => answer.json['userId']))).toEqual(new Set([userId]));
    const matching = await adminUsers(server).list({ queries: [Query.equal('email', ['gina@example.com'])] });
    expect(matching.users.map((user) => user.$id)).toEqual([userId]);
  });

  it('limits exchanges per user once the token is verified: 429 rate_limited past AUTH0_LIMIT_SUBJECT', async () => {
    // A day-long window: on the wall clock a minute's could end between the exchanges.
    const limited = await start({ AUTH0_LIMIT_SUBJECT: '2/86400' });
    const sub = freshSub('hank');
    expect((await exchange(limited, { bearer: await accessToken({ sub }) })).status).toBe(200);
    // A token that does not verify costs the user nothing.
    expect((await exchange(limited, { bearer: await accessToken({ sub, aud: 'elsewhere' }) })).status).toBe(401);
    expect((await exchange(limited, { bearer: await accessToken({ sub }) })).status).toBe(200);
    const third = await exchange(limited, { bearer: await accessToken({ sub }) });
    expect(third.status).toBe(429);
    expect(third.json['type']).toBe('rate_limited');
    expect((await exchange(limited, { bearer: await accessToken({ sub: freshSub('hank') }) })).status).toBe(200);
  });

  it('with AUTH0_ONE_TIME_TOKENS=true accepts a token once (401 token_replayed), and refuses one without jti', async () => {
    const oneTime = await start({ AUTH0_ONE_TIME_TOKENS: 'true' });
    const token = await accessToken({ sub: freshSub('ivy'), jti: `jti-${Date.now()}` });
    expect((await exchange(oneTime, { bearer: token })).status).toBe(200);
    const replay = await exchange(oneTime, { bearer: token });
    expect(replay.status).toBe(401);
    expect(replay.json['type']).toBe('token_replayed');

    const withoutJti = await exchange(oneTime, { bearer: await accessToken({ sub: freshSub('ivy') }) });
    expect(withoutJti.status).toBe(401);
    expect(withoutJti.json).toMatchObject({ type: 'invalid_token', message: expect.stringContaining('jti') });
    // Without the setting the same token is a bearer token, good until it expires.
    expect((await exchange(server, { bearer: token })).status).toBe(200);
    expect((await exchange(server, { bearer: token })).status).toBe(200);
  });

  it('answers 500 config_invalid naming AUTH0_DOMAIN in the log when no issuer is configured', async () => {
    const bare = await startNodeServer({ env: { PORT: '0' }, functions: kitFunctions, logger });
    servers.push(bare);
    const answer = await exchange(bare, { bearer: await accessToken({ sub: freshSub() }) });
    expect(answer.status).toBe(500);
    expect(answer.json['type']).toBe('config_invalid');
    expect(lines.some((line) => line.startsWith('config_invalid function="auth0"') && line.includes('AUTH0_DOMAIN'))).toBe(true);
  });

  it('lets no secret into a session of someone else: a wrong secret is refused by Appwrite', async () => {
    const answer = await exchange(server, { bearer: await accessToken({ sub: freshSub() }) });
    const error = await session(server, { ...answer, json: { ...answer.json, secret: '0'.repeat(64) } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppwriteException);
  });
});
