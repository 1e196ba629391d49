/**
 * The hello example on the Node server (`npm start`'s runtime), from nothing but a function list:
 * served under `/hello` next to the password function, over real HTTP on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { silentLogger } from '../../shared/log.js';
import { startNodeServer, type RunningNodeServer } from '../../shared/runtime/node.js';
import { helloFunction } from '../fixtures/hello/index.js';

let server: RunningNodeServer;

beforeAll(async () => {
  server = await startNodeServer({
    env: { PORT: '0', HELLO_GREETING: 'Hi' },
    functions: [...kitFunctions, helloFunction],
    logger: silentLogger,
    // Cheap hashes in the embedded Appwrite: this test is about routing, not hash cost.
    embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
});
afterAll(() => server.close());

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('hello on the Node server', () => {
  it('answers /hello/greet with its configured greeting', async () => {
    const response = await post('/hello/greet', { name: 'Ada' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ greeting: 'Hi, Ada!' });
  });

  it('answers its own error type with its declared status', async () => {
    const response = await post('/hello/greet', { name: 'Voldemort' });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ message: 'This name may not be greeted.', code: 422, type: 'name_forbidden' });
  });

  it('answers kit-wide errors in the same shape (a body its schema refuses)', async () => {
    const response = await post('/hello/greet', { name: '' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 400, type: 'invalid_request' });
  });

  it('is listed by /health after the kit functions', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok', functions: [...kitFunctions.map((fn) => fn.name), 'hello'] });
  });

  it('leaves the password function working beside it', async () => {
    const credentials = { username: 'hello-neighbour', password: 'correct horse battery staple' };
    expect((await post('/password/register', credentials)).status).toBe(201);
    const login = await post('/password/login', credentials);
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
