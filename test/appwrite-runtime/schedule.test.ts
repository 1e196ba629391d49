import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import { createDevAppwrite } from '../../shared/dev-appwrite/index.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { invokeOpenRuntimes } from '../helpers/open-runtimes.js';
import { closedPort } from '../rate-limit/tables-double.js';

// The hourly `schedule` execution in appwrite.json purges rate-limit rows whose window has ended.

const PROJECT_ID = 'kit-schedule';
const KEY = 'ephemeral_schedule-key';
/** A function whose appwrite.json forgot the rows scopes. */
const USERS_ONLY_KEY = 'ephemeral_schedule-users-only-key';
let server: ServerType;
let endpoint: string;

beforeAll(async () => {
  const { app } = createDevAppwrite({
    projectId: PROJECT_ID,
    apiKeys: { [KEY]: ['users.read', 'users.write', 'rows.read', 'rows.write'], [USERS_ONLY_KEY]: ['users.read', 'users.write'] },
  });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const headers = (trigger: string, key = KEY) => ({
  host: 'password.functions.example.test',
  'content-type': 'application/json',
  'x-appwrite-trigger': trigger,
  'x-appwrite-client-ip': '203.0.113.7',
  'x-appwrite-key': key,
});

it('a scheduled execution deletes the counters of ended windows and keeps the live ones', async () => {
  // The function's time, started just after a day begins and moved by the test: the one-second
  // per-IP window ends during the test; the day-long per-account ones cannot.
  const day = 86_400_000;
  const start = Math.ceil(Date.now() / day) * day + 1_000;
  let elapsed = 0;
  const clock = { now: () => start + elapsed };
  const entry = createAppwriteEntry(passwordFunction, {
    clock,
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

  elapsed = 2_000;
  const purge = () => invokeOpenRuntimes(entry, { method: 'POST', url: '/', headers: headers('schedule'), body: '' });
  const first = await purge();
  expect(first.statusCode).toBe(200);
  expect(first.json()).toEqual({ purged: 1 });
  expect(first.logs.join('\n')).toContain('rate_limit_rows_purged purged=1');
  expect((await purge()).json()).toEqual({ purged: 0 });
});

describe('a scheduled purge that cannot run answers with the error it met, never 500 internal_error', () => {
  it('a key without the rows scopes: 502 appwrite_error, the scopes named in the log', async () => {
    const entry = createAppwriteEntry(passwordFunction, { env: { APPWRITE_FUNCTION_API_ENDPOINT: endpoint, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID } });
    const result = await invokeOpenRuntimes(entry, { method: 'POST', url: '/', headers: headers('schedule', USERS_ONLY_KEY), body: '' });
    expect(result.failed).toBe(false);
    expect(result.statusCode).toBe(502);
    expect(result.json()).toMatchObject({ code: 502, type: 'appwrite_error' });
    const logged = result.errors.join('\n');
    expect(logged).toContain('appwrite_rejected_request operation="tablesDB.deleteRows"');
    expect(logged).toContain('the function needs rows.read and rows.write');
    expect(logged).not.toContain('unhandled_error');
  });

  it('Appwrite unreachable: 503 rate_limiter_unavailable', async () => {
    const entry = createAppwriteEntry(passwordFunction, {
      env: { APPWRITE_FUNCTION_API_ENDPOINT: `http://127.0.0.1:${await closedPort()}/v1`, APPWRITE_FUNCTION_PROJECT_ID: PROJECT_ID },
    });
    const result = await invokeOpenRuntimes(entry, { method: 'POST', url: '/', headers: headers('schedule'), body: '' });
    expect(result.failed).toBe(false);
    expect(result.statusCode).toBe(503);
    expect(result.json()).toMatchObject({ code: 503, type: 'rate_limiter_unavailable' });
    expect(result.errors.join('\n')).not.toContain('unhandled_error');
  });
});
