/**
 * The password function end to end through `npm start`'s server: real HTTP on loopback, the
 * embedded Appwrite, and the real `appwrite` web SDK exchanging the secret for a session.
 */
import { Account, AppwriteException, Client } from 'appwrite';
import { Client as ServerClient, Users } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { openApiDocument } from '../../shared/openapi.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { freshBrowser } from '../helpers/browser.js';
import { expectDocumentedAnswer } from '../helpers/openapi-conformance.js';

let server: RunningNodeServer;
let counter = 0;
const uniqueName = () => `user${Date.now().toString(36)}${counter++}`;

beforeAll(async () => {
  server = await startNodeServer({
    env: { PORT: '0', PASSWORD_LIMIT_REGISTER_IP: '1000/60', PASSWORD_LIMIT_LOGIN_IP: '1000/60', PASSWORD_LIMIT_CHANGE_IP: '1000/60' },
    functions: kitFunctions,
    logger: silentLogger,
    embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
});
afterAll(() => server.close());
beforeEach(() => freshBrowser());

// The document npm start serves: every answer below must be one it promises.
const document = openApiDocument(kitFunctions, { mounted: true });

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/password${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  await expectDocumentedAnswer(document, 'post', `/password${path}`, response);
  return response;
}

function webAccount() {
  return new Account(new Client().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId));
}

async function register(username: string, password = 'correct horse battery') {
  const response = await post('/register', { username, password });
  expect(response.status).toBe(201);
  return (await response.json()) as { userId: string };
}

describe('npm start server', () => {
  it('answers /health and serves the embedded Appwrite under /v1', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', functions: kitFunctions.map((fn) => fn.name) });
    const v1 = await fetch(`${server.url}/v1/account`, { headers: { 'x-appwrite-project': server.appwrite.projectId } });
    expect(v1.status).toBe(401);
    expect(await v1.json()).toMatchObject({ type: 'general_unauthorized_scope' });
  });
});

describe('register → login → account.createSession', () => {
  it('gives a session whose account is the registered user, once', async () => {
    const username = uniqueName();
    const { userId } = await register(username);
    expect(userId).toMatch(/^pw-[0-9a-f]{33}$/);

    const login = await post('/login', { username, password: 'correct horse battery' });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const token = (await login.json()) as { userId: string; secret: string; expire: string };
    expect(token.userId).toBe(userId);
    expect(token.secret).toMatch(/^[0-9a-f]{64}$/);
    const ttl = Date.parse(token.expire) - Date.now();
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    const account = webAccount();
    await account.createSession({ userId: token.userId, secret: token.secret });
    const me = await account.get();
    expect(me.$id).toBe(userId);
    expect(me.name).toBe(username);

    freshBrowser();
    const replay = await webAccount().createSession({ userId: token.userId, secret: token.secret }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(AppwriteException);
    expect(replay).toMatchObject({ code: 401, type: 'user_invalid_token' });
  });

  it('treats usernames case- and width-insensitively, and names stay unique', async () => {
    const username = uniqueName();
    await register(username.toUpperCase());
    const wide = [...username].map((ch) => String.fromCodePoint(ch.codePointAt(0)! + 0xfee0)).join('');
    const login = await post('/login', { username: wide, password: 'correct horse battery' });
    expect(login.status).toBe(200);

    const again = await post('/register', { username, password: 'another password' });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ message: 'This username is taken.', code: 409, type: 'username_taken' });
  });

  it('lets exactly one of many concurrent registrations of a name win', async () => {
    const username = uniqueName();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post('/register', { username, password: `password number ${i}` }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
  });
});

describe('failed logins', () => {
  it('answers an unknown user and a wrong password with byte-identical 401 bodies', async () => {
    const username = uniqueName();
    await register(username);
    const unknown = await post('/login', { username: uniqueName(), password: 'correct horse battery' });
    const wrong = await post('/login', { username, password: 'wrong horse battery' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const [a, b] = [await unknown.text(), await wrong.text()];
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual({ message: 'Invalid username or password.', code: 401, type: 'invalid_credentials' });
  });
});

describe('change password', () => {
  it('replaces the password and ends existing sessions', async () => {
    const username = uniqueName();
    await register(username, 'first password 1');
    const token = (await (await post('/login', { username, password: 'first password 1' })).json()) as { userId: string; secret: string };
    const account = webAccount();
    await account.createSession({ userId: token.userId, secret: token.secret });
    await account.get();

    const wrong = await post('/change', { username, currentPassword: 'not the password', newPassword: 'second password 2' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ type: 'invalid_credentials' });

    const changed = await post('/change', { username, currentPassword: 'first password 1', newPassword: 'second password 2' });
    expect(changed.status).toBe(204);
    expect(await account.get().catch((e: unknown) => e)).toMatchObject({ code: 401 });

    expect((await post('/login', { username, password: 'first password 1' })).status).toBe(401);
    expect((await post('/login', { username, password: 'second password 2' })).status).toBe(200);
  });
});

describe('passwords set outside the kit', () => {
  it.each([
    ['a decomposed accent', 'cafe\u0301 au lait'],
    ['a ligature', '\ufb01sh and chips'],
    ['fullwidth digits', 'pin \uff11\uff12\uff13\uff14\uff15\uff16'],
  ])('logs in with %s typed exactly as set with users.updatePassword', async (_, password) => {
    const username = uniqueName();
    const { userId } = await register(username);
    const users = new Users(new ServerClient().setEndpoint(server.appwrite.endpoint).setProject(server.appwrite.projectId).setKey(server.appwrite.apiKey!));
    await users.updatePassword({ userId, password });
    const login = await post('/login', { username, password });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ userId });
  });
});

describe('bad requests', () => {
  it.each([
    ['a missing field', { username: 'someone' }, 'password is required'],
    ['a short password', { username: 'someone', password: 'short' }, 'password: must be at least 8 characters'],
    ['a bad username', { username: 'no spaces allowed', password: 'long enough password' }, 'username: may contain only'],
    ['a password over 256 bytes', { username: 'someone', password: '密'.repeat(86) }, 'password: must be at most 256 bytes'],
  ])('rejects %s with 400 invalid_request naming the field', async (_, body, fragment) => {
    const response = await post('/register', body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { type: string; message: string; code: number };
    expect(json.type).toBe('invalid_request');
    expect(json.code).toBe(400);
    expect(json.message).toContain(fragment);
  });

  it('says a body must be a JSON object, and tells a field of the wrong type from a missing one', async () => {
    for (const body of ['[]', '[{"username":"someone","password":"long enough password"}]', 'null', '"text"']) {
      const response = await post('/login', body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ message: 'Invalid request: body must be a JSON object.', code: 400, type: 'invalid_request' });
    }
    const wrongType = await post('/login', { username: 'someone', password: 12345678 });
    expect(await wrongType.json()).toMatchObject({ type: 'invalid_request', message: 'Invalid request: password must be a string.' });
  });

  it.each([
    ['password', { username: 'someone', password: '\ud800abcdefgh' }],
    ['password', { username: 'someone', password: 'abcdefgh\udfff' }],
    ['username', { username: 'some\udc00one', password: 'long enough password' }],
    ['name', { username: 'someone', password: 'long enough password', name: 'Ann \ud83d' }],
  ])('refuses ill-formed UTF-16 (a lone surrogate) in %s with 400', async (field, body) => {
    const response = await post('/register', body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      message: `Invalid request: ${field}: must be well-formed Unicode text (no lone surrogate).`,
      code: 400,
      type: 'invalid_request',
    });
  });

  it('does not let two lone surrogates stand for one password', async () => {
    const username = uniqueName();
    await register(username, 'x\ud83d\ude00 surrogate pair');
    expect((await post('/register', { username: uniqueName(), password: '\ud800abcdefgh' })).status).toBe(400);
    expect((await post('/login', { username, password: '\udfffabcdefgh' })).status).toBe(400);
    expect((await post('/login', { username, password: 'x\ud83d\ude00 surrogate pair' })).status).toBe(200);
  });

  it.each([
    ['eight spaces', ' '.repeat(8), 'password: must contain a visible character'],
    ['eight zero-width spaces', '\u200b'.repeat(8), 'password: must contain a visible character'],
    ['tabs, line breaks and a soft hyphen', '\t\n\r\u00ad\u2028\u3000\u3164\ufeff', 'password: must contain a visible character'],
    ['three letters and five zero-width spaces', `abc${'\u200b'.repeat(5)}`, 'password: must be at least 8 characters'],
    ['four emoji of two code points each', '👍🏽'.repeat(4), 'password: must be at least 8 characters'],
    ['seven letters and a joiner', 'abcdefg\u200d', 'password: must be at least 8 characters'],
  ])('counts what a person typed: refuses %s', async (_, password, fragment) => {
    const response = await post('/register', { username: uniqueName(), password });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain(fragment);
  });

  it.each([
    ['eight accented letters typed as letter and mark', 'e\u0301'.repeat(8)],
    ['eight emoji', '👍🏽'.repeat(8)],
    ['a passphrase with spaces', 'a b c d '],
  ])('accepts %s', async (_, password) => {
    const username = uniqueName();
    await register(username, password);
    expect((await post('/login', { username, password })).status).toBe(200);
  });

  it('rejects malformed JSON with 400, a non-JSON body with 415', async () => {
    const malformed = await post('/login', '{"username":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: 'invalid_request' });
    const form = await post('/login', 'username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ type: 'unsupported_media_type' });
  });

  it('answers a wrong method with 405 and Allow, an unknown path with 404', async () => {
    const get = await fetch(`${server.url}/password/login`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toContain('POST');
    expect(await get.json()).toMatchObject({ code: 405, type: 'method_not_allowed' });
    const missing = await fetch(`${server.url}/password/nope`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 404, type: 'not_found' });
    const outside = await fetch(`${server.url}/nothing-here`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ type: 'not_found' });
  });

  it('refuses a body over 16 KiB with 413', async () => {
    const response = await post('/login', { username: 'someone', password: 'x'.repeat(17 * 1024) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 413, type: 'payload_too_large' });
  });
});
