/**
 * `/change` when ending the other sessions fails after the password was already changed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPasswordApp } from '../../functions/password/app.js';
import { passwordConfigSchema } from '../../functions/password/config.js';
import { parseConfig } from '../../shared/config.js';
import { KitError } from '../../shared/errors.js';
import { PROJECT_ID, SERVER_KEY, startDevAppwrite, type RunningDevAppwrite } from '../dev-appwrite/harness.js';
import { createTestPlatform } from '../helpers/platform.js';

let dev: RunningDevAppwrite;
beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());

it('says the password changed but sessions survived, after one retry, when revocation keeps failing', async () => {
  const platform = createTestPlatform({
    clock: dev.clock,
    connection: { APPWRITE_ENDPOINT: dev.endpoint, APPWRITE_PROJECT_ID: PROJECT_ID, APPWRITE_API_KEY: SERVER_KEY, APPWRITE_TIMEOUT_MS: 5000 },
  });
  let revocations = 0;
  const app = createPasswordApp(parseConfig(passwordConfigSchema, {}), {
    ...platform,
    users: {
      ...platform.users,
      deleteSessions: async () => {
        revocations++;
        throw new KitError('appwrite_unavailable', 'Appwrite is unavailable. Try again later.');
      },
    },
  });
  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, { clientIp: '198.51.100.1' });

  expect((await post('/register', { username: 'changer', password: 'first password 1' })).status).toBe(201);
  const changed = await post('/change', { username: 'changer', currentPassword: 'first password 1', newPassword: 'second password 2' });
  expect(changed.status).toBe(503);
  expect(await changed.json()).toEqual({
    message: 'The password was changed, but other sessions could not be signed out. Change it again with the new password to retry.',
    code: 503,
    type: 'sessions_not_revoked',
  });
  expect(revocations).toBe(2);
  expect((await post('/login', { username: 'changer', password: 'second password 2' })).status).toBe(200);
});
