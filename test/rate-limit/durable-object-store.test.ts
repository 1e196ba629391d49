// The Durable Object store's failure handling, in Node with fake namespaces. Its real behaviour
// (atomicity, windows, alarms) is tested inside workerd by test/workers-rate-limit.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { createDurableObjectStore, type CounterNamespace, type CounterStub } from '../../shared/rate-limit/durable-object-store.js';

const rule = { limit: 3, windowSeconds: 60 };

function namespaceOf(stub: CounterStub, names: string[] = []): CounterNamespace<string> {
  return {
    idFromName: (name) => {
      names.push(name);
      return `id:${name}`;
    },
    get: () => stub,
  };
}

function answering(status: number, body: unknown): CounterStub {
  return { fetch: async () => ({ ok: status >= 200 && status < 300, status, json: async () => body }) };
}

describe('Durable Object store failures', () => {
  it('addresses one object per key and rule, and passes the answer through', async () => {
    const names: string[] = [];
    const store = createDurableObjectStore(namespaceOf(answering(200, { allowed: true, remaining: 2, resetAt: 60_000 }), names));
    expect(await store.consume('ip:unknown', rule)).toEqual({ allowed: true, remaining: 2, resetAt: 60_000 });
    await store.consume('ip:unknown', { limit: 3, windowSeconds: 3600 });
    expect(names).toEqual(['ip:unknown|3/60', 'ip:unknown|3/3600']);
  });

  it('fails closed when the object cannot be reached', async () => {
    const lines: string[] = [];
    const store = createDurableObjectStore(
      namespaceOf({ fetch: () => Promise.reject(new Error('Network connection lost.')) }),
      { logger: createLogger((line) => lines.push(line)) },
    );
    await expect(store.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    await expect(store.reset('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
    expect(lines[0]).toContain('rate_limiter_call_failed');
  });

  it('fails closed when the object answers an error or garbage', async () => {
    await expect(createDurableObjectStore(namespaceOf(answering(500, {}))).consume('k', rule)).rejects.toMatchObject({
      type: 'rate_limiter_unavailable',
    });
    await expect(createDurableObjectStore(namespaceOf(answering(200, { allowed: 'yes' }))).consume('k', rule)).rejects.toMatchObject({
      type: 'rate_limiter_unavailable',
    });
  });

  it('fails closed when idFromName itself throws', async () => {
    const store = createDurableObjectStore({
      idFromName: () => {
        throw new Error('binding missing');
      },
      get: () => answering(200, {}),
    });
    await expect(store.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
  });
});
