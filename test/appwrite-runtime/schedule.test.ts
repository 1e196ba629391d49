import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { invokeOpenRuntimes } from '../helpers/open-runtimes.js';

// The hourly `schedule` execution in appwrite.json purges rate-limit rows whose window has ended.

const PROJECT_ID = 'kit-schedule';
const KEY = 'ephemeral_schedule-key';
let server: ServerType;
let endpoint: string;

beforeAll(async () => {
  const { app } = createDevAppwrite({ projectId: PROJECT_ID, apiKeys: { [KEY]: ['users.read', 'users.write', 'rows.read', 'rows.write'] } });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const headers = (trigger: string) => ({
  host: 'password.functions.example.test',
  'content-type': 'application/json',
  'x-appwrite-trigger': trigger,
  'x-appwrite-client-ip': '203.0.113.7',
  'x-appwrite-key': KEY,
});

it('a scheduled execution deletes the counters of ended windows and keeps the live ones', async () => {
  const entry = createAppwriteEntry(passwordFunction, {
    // A one-second per-IP window ends during the test; the day-long per-account ones do not.
    env: {
      APPWRITE_FUNCTION_API_ENDPOINT: endpoint,
      APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID,
      PASSWORD_LIMIT_LOGIN_IP: '100/1',
      PASSWORD_LIMIT_ACCOUNT: '5/86400',
      PASSWORD_LIMIT_ACCOUNT_CAP: '20/86400',
    },
  });
  const login = await invokeOpenRuntimes(entry, {
    method: 'POST',
    url: '/login',
    headers: headers('http'),
    body: JSON.stringify({ username: 'nobody', password: 'wrong password here' }),
  });
  expect(login.statusCode).toBe(401);

  await new Promise((resolve) => setTimeout(resolve, 1100));
  const purge = () => invokeOpenRuntimes(entry, { method: 'POST', url: '/', headers: headers('schedule'), body: '' });
  const first = await purge();
  expect(first.statusCode).toBe(200);
  expect(first.json()).toEqual({ purged: 1 });
  expect(first.logs.join('\n')).toContain('rate_limit_rows_purged purged=1');
  expect((await purge()).json()).toEqual({ purged: 0 });
});
