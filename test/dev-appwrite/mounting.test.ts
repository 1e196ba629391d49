/**
 * The embedded Appwrite as a part of a bigger app (the local `npm start` server mounts it at the
 * root), and the extension points later route modules rely on.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createDevAppwrite, DevAppwriteStore } from '../../shared/dev-appwrite/index.js';

function mountedBesideAFunction() {
  const dev = createDevAppwrite({ projectId: 'kit', apiKeys: { key: ['users.read'] }, corsOrigins: ['http://localhost:*'] });
  const parent = new Hono();
  parent.get('/login', (c) => c.text('kit function'));
  parent.route('/', dev.app);
  parent.notFound((c) => c.text('kit not found', 404));
  return parent;
}

describe('mounted at the root of another app', () => {
  it('serves its routes under /v1', async () => {
    const response = await mountedBesideAFunction().request('/v1/users', { headers: { 'X-Appwrite-Project': 'kit', 'X-Appwrite-Key': 'key' } });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ total: 0, users: [] });
  });

  it('answers unknown /v1 routes and wrong methods in Appwrite’s shape, leaving other paths to the parent', async () => {
    const app = mountedBesideAFunction();

    for (const [method, path] of [['GET', '/v1/nope'], ['PUT', '/v1/users']] as const) {
      const response = await app.request(path, { method });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ type: 'general_route_not_found', version: '1.9.6' });
    }
    expect(await (await app.request('/elsewhere')).text()).toBe('kit not found');
  });

  it('keeps its CORS headers to /v1', async () => {
    const app = mountedBesideAFunction();
    const origin = { Origin: 'http://localhost:5173' };

    expect((await app.request('/v1/account', { headers: origin })).headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect((await app.request('/login', { headers: origin })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('DevAppwriteStore.state', () => {
  it('gives a module one lazily created state until the store is cleared', () => {
    const store = new DevAppwriteStore();
    const rows = store.state('tablesdb', () => new Map<string, number>());
    rows.set('counter', 1);

    expect(store.state('tablesdb', () => new Map<string, number>()).get('counter')).toBe(1);
    store.clear();
    expect(store.state('tablesdb', () => new Map<string, number>()).size).toBe(0);
  });
});
