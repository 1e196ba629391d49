// The hello example inside workerd, served by a Worker built from nothing but a function list:
// `createWorker([...kitFunctions, helloFunction])` is what entries/worker.ts would export once a
// forker lists hello in functions/index.ts. Called the way workerd calls a module's default export.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { createWorker } from '../../shared/runtime/workers.js';
import { helloFunction } from '../fixtures/hello/index.js';

const worker = createWorker([...kitFunctions, helloFunction]);

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://kit.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const greet = (name: string) =>
  call('/hello/greet', { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.9' }, body: JSON.stringify({ name }) });

describe('hello in workerd', () => {
  it('answers /hello/greet', async () => {
    const response = await greet('Ada');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ greeting: 'Hello, Ada!' });
  });

  it('answers its own error type with its declared status', async () => {
    const response = await greet('Voldemort');
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 422, type: 'name_forbidden' });
  });

  it('is listed by /health with the kit functions', async () => {
    const response = await call('/health');
    expect(await response.json()).toEqual({ status: 'ok', functions: [...kitFunctions.map((fn) => fn.name), 'hello'] });
  });
});
