/**
 * Appwrite's project password policies reach the user as `400 password_rejected`, end to end: the
 * password function served over loopback HTTP, its users directory calling the embedded Appwrite
 * over HTTP, the double refusing with Appwrite's own types (history, personal data, dictionary).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordApp } from '../../functions/password/app.js';
import { passwordConfigSchema } from '../../functions/password/config.js';
import { userIdForUsername } from '../../functions/password/username.js';
import { parseConfig } from '../../shared/config.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform } from '../helpers/platform.js';

let dev: RunningDevAppwrite;
let functionServer: ServerType;
let functionUrl: string;

beforeAll(async () => {
  dev = await startDevAppwrite({ passwordPolicies: { passwordHistory: 3, personalDataCheck: true, passwordDictionary: ['sunshine2024'] } });
  const platform = createTestPlatform({
    clock: dev.clock,
    connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
  });
  // Limits out of the way: every answer below is Appwrite's policy, not the kit's throttling.
  const config = parseConfig(passwordConfigSchema, { PASSWORD_LIMIT_REGISTER_IP: '1000/60', PASSWORD_LIMIT_CHANGE_IP: '1000/60', PASSWORD_LIMIT_ACCOUNT: '1000/60' });
  const app = createPasswordApp(config, platform);
  functionServer = serve({ fetch: (request) => app.fetch(request, { clientIp: '198.51.100.7' }), hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => functionServer.once('listening', () => resolve()));
  functionUrl = `http://127.0.0.1:${(functionServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => functionServer.close(() => resolve()));
  await dev.close();
});
beforeEach(() => dev.reset());

function post(path: string, body: unknown) {
  return fetch(`${functionUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function expectRejected(response: Response, message: string) {
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ code: 400, type: 'password_rejected', message });
}

const personalDataMessage =
  'The password you are trying to use contains references to your name, email, phone or userID. For your security, please choose a different password and try again.';
const recentlyUsedMessage =
  'The password you are trying to use is similar to your previous password. For your security, please choose a different password and try again.';
const dictionaryMessage =
  'Invalid `password` param: Password must be between 8 and 265 characters long, and should not be one of the commonly used password.';

describe('register', () => {
  it('answers 400 password_rejected for a password containing the username (Appwrite’s personal data check)', async () => {
    await expectRejected(await post('/register', { username: 'mallory', password: 'i am Mallory 123' }), personalDataMessage);
    expect(dev.store.users.has(await userIdForUsername('mallory'))).toBe(false);
  });

  it('answers 400 password_rejected for a password in the project’s dictionary', async () => {
    await expectRejected(await post('/register', { username: 'mallory', password: 'sunshine2024' }), dictionaryMessage);
  });

  it('registers with a password every policy accepts', async () => {
    expect((await post('/register', { username: 'mallory', password: 'quiet harbour lantern' })).status).toBe(201);
  });
});

describe('change', () => {
  let registered = 0;
  let username: string;
  const first = 'first long password';
  const change = (currentPassword: string, newPassword: string) => post('/change', { username, currentPassword, newPassword });

  beforeEach(async () => {
    username = `trent${registered++}`;
    expect((await post('/register', { username, password: first })).status).toBe(201);
  });

  it('answers 400 password_rejected for a recently used password (Appwrite’s password history), keeping the current one', async () => {
    await expectRejected(await change(first, first), recentlyUsedMessage);
    expect((await change(first, 'second long password')).status).toBe(204);
    await expectRejected(await change('second long password', first), recentlyUsedMessage);
    expect((await post('/login', { username, password: 'second long password' })).status).toBe(200);
  });

  it('answers 400 password_rejected for personal data and dictionary passwords', async () => {
    await expectRejected(await change(first, `${username} forever and ever`), personalDataMessage);
    await expectRejected(await change(first, 'sunshine2024'), dictionaryMessage);
    expect((await post('/login', { username, password: first })).status).toBe(200);
  });
});
