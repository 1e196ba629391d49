/**
 * The hello example as an Appwrite function, in process: `createAppwriteEntry` (what the generated
 * entry of `npm run build:appwrite` calls) driven through the open-runtimes fake. Each Appwrite
 * function has its own domain, so its routes are served at the root.
 */
import { describe, expect, it } from 'vitest';
import { passwordFunction } from '../../functions/password/index.js';
import type { EnvSource } from '../../shared/config.js';
import type { KitFunction } from '../../shared/platform.js';
import { createAppwriteEntry } from '../../shared/runtime/appwrite.js';
import { invokeOpenRuntimes, type RuntimeResult } from '../helpers/open-runtimes.js';
import { helloFunction } from '../fixtures/hello/index.js';

// What Appwrite sets on every execution. Nothing listens on port 9: hello never calls Appwrite.
const appwriteEnv: EnvSource = {
  APPWRITE_FUNCTION_API_ENDPOINT: 'http://127.0.0.1:9/v1',
  APPWRITE_FUNCTION_PROJECT_ID: 'kit',
  APPWRITE_API_KEY: 'hello-test-key',
};

async function post(fn: KitFunction, env: EnvSource, path: string, body: unknown): Promise<RuntimeResult> {
  const result = await invokeOpenRuntimes(createAppwriteEntry(fn, { env: { ...appwriteEnv, ...env } }), {
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-appwrite-client-ip': '203.0.113.7' },
    body: JSON.stringify(body),
  });
  expect(result.failed, 'the entry threw or returned nothing').toBe(false);
  return result;
}

describe('hello as an Appwrite function', () => {
  it('serves /greet at the root', async () => {
    const result = await post(helloFunction, { HELLO_GREETING: 'Hey' }, '/greet', { name: 'Ada' });
    expect(result.statusCode).toBe(200);
    expect(result.json()).toEqual({ greeting: 'Hey, Ada!' });
  });

  it('is not under /hello there', async () => {
    const result = await post(helloFunction, {}, '/hello/greet', { name: 'Ada' });
    expect(result.statusCode).toBe(404);
  });

  it('answers its own error type with its declared status', async () => {
    const result = await post(helloFunction, {}, '/greet', { name: 'voldemort' });
    expect(result.statusCode).toBe(422);
    expect(result.json()).toMatchObject({ code: 422, type: 'name_forbidden' });
  });

  it('never parses ARGON2_* (it asks for no argon2 port), while the password function does', async () => {
    const broken = { ARGON2_MAX_CONCURRENCY: '0' };
    const hello = await post(helloFunction, broken, '/greet', { name: 'Ada' });
    expect(hello.statusCode).toBe(200);

    const password = await post(passwordFunction, broken, '/login', { username: 'alice', password: 'correct horse battery staple' });
    expect(password.statusCode).toBe(500);
    expect(password.json()).toMatchObject({ type: 'config_invalid' });
    expect(password.errors.join('\n')).toContain('ARGON2_MAX_CONCURRENCY');
  });

  it('runs with no API key at all (no scopes, so Appwrite sends no x-appwrite-key); password then fails closed naming the key', async () => {
    const noKey = { APPWRITE_API_KEY: '' };
    const hello = await post(helloFunction, noKey, '/greet', { name: 'Ada' });
    expect(hello.statusCode).toBe(200);
    expect(helloFunction.appwriteScopes).toEqual([]);

    const password = await post(passwordFunction, noKey, '/login', { username: 'alice', password: 'correct horse battery staple' });
    expect(password.json()).toMatchObject({ code: 500, type: 'config_invalid' });
    expect(password.errors.join('\n')).toContain('APPWRITE_API_KEY is required');
  });
});
