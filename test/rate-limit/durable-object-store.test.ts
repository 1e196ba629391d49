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

describe('Durable Object store: remembered refusals', () => {
  /** An object that refuses with `sealed: true`, recording what it is asked. */
  function sealedObject() {
    const bodies: Record<string, unknown>[] = [];
    const stub: CounterStub = {
      fetch: async (_url, init) => {
        bodies.push(JSON.parse(init.body) as Record<string, unknown>);
        return { ok: true, status: 200, json: async () => ({ allowed: false, remaining: 0, resetAt: 120_000, sealed: true }) };
      },
    };
    return { bodies, stub };
  }

  it('asks to seal only when the caller says so, and remembers only sealed refusals', async () => {
    const { bodies, stub } = sealedObject();
    const store = createDurableObjectStore(namespaceOf(stub), { clock: { now: () => 90_000 } });
    expect(await store.consume('k', rule)).toEqual({ allowed: false, remaining: 0, resetAt: 120_000 });
    expect(await store.consume('k', rule, { seal: true })).toEqual({ allowed: false, remaining: 0, resetAt: 120_000 });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ op: 'consume', now: 90_000, seal: false });

    const unsealed = createDurableObjectStore(namespaceOf(answering(200, { allowed: false, remaining: 0, resetAt: 120_000 })));
    await unsealed.consume('k', rule, { seal: true });
    expect(unsealed.knownRefusal?.('k', rule)).toBeNull();
  });

  it('remembers at most maxRememberedRefusals, forgetting the oldest (which is then asked again)', async () => {
    const { bodies, stub } = sealedObject();
    const store = createDurableObjectStore(namespaceOf(stub), { clock: { now: () => 90_000 }, maxRememberedRefusals: 2 });
    for (const key of ['a', 'b', 'c']) await store.consume(key, rule, { seal: true });
    expect(['a', 'b', 'c'].map((key) => store.knownRefusal?.(key, rule)?.allowed ?? null)).toEqual([null, false, false]);
    await store.consume('a', rule, { seal: true });
    expect(bodies).toHaveLength(4);
  });
});
