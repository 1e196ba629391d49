// The password-only Worker (entries/worker-password.ts, the subset build `npm run size` measures)
// inside workerd, with wrangler.toml's bindings: it serves the password function and nothing else,
// and a login through it opens an Appwrite session like the full Worker's.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Account, Client } from 'appwrite';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { stubBrowserStorage } from './browser-storage.js';
import worker from '../../entries/worker-password.js';

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://kit.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const post = (path: string, body: unknown) =>
  call(path, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.21' }, body: JSON.stringify(body) });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('password-only Worker in workerd', () => {
  it('serves the password function only', async () => {
    expect(await (await call('/health')).json()).toEqual({ status: 'ok', functions: ['password'] });
    expect((await post('/captcha/start', {})).status).toBe(404);
  });

  it('registers and logs in; the token opens an Appwrite session', async () => {
    const username = 'subset-worker-carol';
    const password = 'correct horse battery staple';
    expect((await post('/password/register', { username, password })).status).toBe(201);
    const login = await post('/password/login', { username, password });
    expect(login.status).toBe(200);
    const token = (await login.json()) as { userId: string; secret: string };

    stubBrowserStorage();
    const client = new Client().setEndpoint(inject('appwriteEndpoint')).setProject(inject('appwriteProjectId'));
    const session = await new Account(client).createSession({ userId: token.userId, secret: token.secret });
    expect(session.userId).toBe(token.userId);
  });
});
