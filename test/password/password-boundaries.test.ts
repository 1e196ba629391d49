/**
 * The password function's input rules at their exact edges, and PASSWORD_CHANGE_REVOKES_SESSIONS
 * both ways: the function served over loopback HTTP, its users directory calling the embedded
 * Appwrite, the session made with the real `appwrite` web SDK.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Account, Client } from 'appwrite';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordApp } from '../../functions/password/app.js';
import { passwordConfigSchema } from '../../functions/password/config.js';
import { userIdForUsername } from '../../functions/password/username.js';
import { parseConfig } from '../../shared/config.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { freshBrowser } from '../helpers/browser.js';
import { createTestPlatform } from '../helpers/platform.js';

let dev: RunningDevAppwrite;
const servers: ServerType[] = [];

beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  await dev.close();
});
beforeEach(() => {
  dev.reset();
  freshBrowser();
});

/** The password function on loopback with `env` on top of limits that stay out of the way. */
async function startFunction(env: Record<string, string> = {}) {
  const platform = createTestPlatform({
    clock: dev.clock,
    connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
  });
  const config = parseConfig(passwordConfigSchema, {
    PASSWORD_LIMIT_REGISTER_IP: '1000/60',
    PASSWORD_LIMIT_REGISTER_ALL: '1000/60',
    PASSWORD_LIMIT_LOGIN_IP: '1000/60',
    PASSWORD_LIMIT_CHANGE_IP: '1000/60',
    PASSWORD_LIMIT_ACCOUNT: '1000/60',
    ...env,
  });
  const app = createPasswordApp(config, platform);
  const server = serve({ fetch: (request) => app.fetch(request, { clientIp: '198.51.100.7' }), hostname: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return (path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

type Post = Awaited<ReturnType<typeof startFunction>>;
let post: Post;
beforeAll(async () => {
  post = await startFunction();
});

const PASSWORD = 'long enough password';

async function expectInvalid(response: Response, fragment: string) {
  expect(response.status).toBe(400);
  const body = (await response.json()) as { type: string; message: string };
  expect(body.type).toBe('invalid_request');
  expect(body.message).toContain(fragment);
}

describe('username length', () => {
  it('refuses 2 characters and accepts 3', async () => {
    await expectInvalid(await post('/register', { username: 'ab', password: PASSWORD }), 'username: must be at least 3 characters');
    expect((await post('/register', { username: 'abc', password: PASSWORD })).status).toBe(201);
  });

  it('accepts 32 characters and refuses 33', async () => {
    expect((await post('/register', { username: 'a'.repeat(32), password: PASSWORD })).status).toBe(201);
    await expectInvalid(await post('/register', { username: 'b'.repeat(33), password: PASSWORD }), 'username: must be at most 32 characters');
  });

  it('counts the length after trimming', async () => {
    await expectInvalid(await post('/register', { username: '  ab  ', password: PASSWORD }), 'username: must be at least 3 characters');
  });
});

describe('password length', () => {
  it('refuses 7 characters and accepts 8', async () => {
    await expectInvalid(await post('/register', { username: 'seven', password: 'abcdefg' }), 'password: must be at least 8 characters');
    expect((await post('/register', { username: 'eight', password: 'abcdefgh' })).status).toBe(201);
  });

  it('accepts 256 bytes of UTF-8 and refuses 257, in plain letters and in three-byte characters', async () => {
    expect((await post('/register', { username: 'plain256', password: 'a'.repeat(256) })).status).toBe(201);
    await expectInvalid(await post('/register', { username: 'plain257', password: 'a'.repeat(257) }), 'password: must be at most 256 bytes');
    // 85 × 3 bytes + 1 = 256; + 2 = 257.
    expect((await post('/register', { username: 'wide256', password: `${'密'.repeat(85)}a` })).status).toBe(201);
    await expectInvalid(await post('/register', { username: 'wide257', password: `${'密'.repeat(85)}ab` }), 'password: must be at most 256 bytes');
  });
});

describe('display name', () => {
  const nameOf = async (username: string) => dev.store.users.get(await userIdForUsername(username))?.name;

  it('refuses an empty name, or one of only spaces', async () => {
    await expectInvalid(await post('/register', { username: 'noname', password: PASSWORD, name: '' }), 'name');
    await expectInvalid(await post('/register', { username: 'noname', password: PASSWORD, name: '   ' }), 'name');
    expect(await nameOf('noname')).toBeUndefined();
  });

  it('accepts 1 and 128 characters, trimmed, and refuses 129', async () => {
    expect((await post('/register', { username: 'onechar', password: PASSWORD, name: ' A ' })).status).toBe(201);
    expect(await nameOf('onechar')).toBe('A');
    expect((await post('/register', { username: 'longname', password: PASSWORD, name: `  ${'n'.repeat(128)}  ` })).status).toBe(201);
    expect(await nameOf('longname')).toBe('n'.repeat(128));
    await expectInvalid(await post('/register', { username: 'toolong', password: PASSWORD, name: 'n'.repeat(129) }), 'name');
    expect(await nameOf('toolong')).toBeUndefined();
  });

  it('is the username when omitted', async () => {
    expect((await post('/register', { username: 'Omitted', password: PASSWORD })).status).toBe(201);
    expect(await nameOf('omitted')).toBe('omitted');
  });
});

describe('PASSWORD_CHANGE_REVOKES_SESSIONS', () => {
  /** Registers `username`, opens a session with the web SDK, changes the password; the session's account. */
  async function sessionAfterChange(call: Post, username: string) {
    expect((await call('/register', { username, password: 'first password 1' })).status).toBe(201);
    const token = (await (await call('/login', { username, password: 'first password 1' })).json()) as { userId: string; secret: string };
    const account = new Account(new Client().setEndpoint(dev.endpoint).setProject(PROJECT_ID));
    await account.createSession({ userId: token.userId, secret: token.secret });
    expect((await account.get()).$id).toBe(token.userId);
    expect((await call('/change', { username, currentPassword: 'first password 1', newPassword: 'second password 2' })).status).toBe(204);
    return account.get().catch((error: unknown) => error);
  }

  it('false keeps the other sessions after /change', async () => {
    const call = await startFunction({ PASSWORD_CHANGE_REVOKES_SESSIONS: 'false' });
    expect(await sessionAfterChange(call, 'keeper')).toMatchObject({ $id: await userIdForUsername('keeper') });
  });

  it('true ends them', async () => {
    const call = await startFunction({ PASSWORD_CHANGE_REVOKES_SESSIONS: 'true' });
    expect(await sessionAfterChange(call, 'ender')).toMatchObject({ code: 401 });
    expect(dev.store.sessionsOf(await userIdForUsername('ender'))).toEqual([]);
  });
});
