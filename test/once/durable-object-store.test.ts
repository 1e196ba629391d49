// The Durable Object once-store's failure handling, in Node with fake namespaces. Its real behaviour
// (atomicity, expiry, alarms) is tested inside workerd by test/workers-rate-limit/once-store.test.ts.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import {
  createDurableObjectOnceStore,
  type OnceRecordNamespace,
  type OnceRecordStub,
} from '../../shared/once/durable-object-store.js';

const start = Date.UTC(2026, 0, 15, 12, 0, 0);
const clock = { now: () => start };

function namespaceOf(stub: OnceRecordStub, names: string[] = [], bodies: unknown[] = []): OnceRecordNamespace<string> {
  return {
    idFromName: (name) => {
      names.push(name);
      return `id:${name}`;
    },
    get: () => ({
      fetch: async (url, init) => {
        bodies.push(JSON.parse(init.body));
        return stub.fetch(url, init);
      },
    }),
  };
}

function answering(status: number, body: unknown): OnceRecordStub {
  return { fetch: async () => ({ ok: status >= 200 && status < 300, status, json: async () => body }) };
}

describe('Durable Object once-store', () => {
  it('addresses one object per key, sends the caller clock, and passes the answer through', async () => {
    const names: string[] = [];
    const bodies: unknown[] = [];
    const once = createDurableObjectOnceStore(namespaceOf(answering(200, { claimed: true }), names, bodies), { clock });
    expect(await once.claim('once:a', start + 60_000)).toBe(true);
    expect(await createDurableObjectOnceStore(namespaceOf(answering(200, { claimed: false })), { clock }).claim('once:a', start)).toBe(false);
    expect(names).toEqual(['once:a']);
    expect(bodies).toEqual([{ op: 'claim', now: start, expiresAt: start + 60_000 }]);
  });

  it('refuses bad input before reaching the object', async () => {
    const names: string[] = [];
    const once = createDurableObjectOnceStore(namespaceOf(answering(200, { claimed: true }), names), { clock });
    await expect(once.claim('bad key', start)).rejects.toThrow(TypeError);
    await expect(once.claim('k', start - 1)).rejects.toThrow(TypeError);
    expect(names).toEqual([]);
  });

  it('fails closed when the object cannot be reached, and logs it', async () => {
    const lines: string[] = [];
    const once = createDurableObjectOnceStore(namespaceOf({ fetch: () => Promise.reject(new Error('Network connection lost.')) }), {
      clock,
      logger: createLogger((line) => lines.push(line)),
    });
    await expect(once.claim('k', start)).rejects.toMatchObject({ type: 'once_store_unavailable', status: 503 });
    expect(lines).toEqual(['once_store_call_failed store="durable_object" operation="claim" reason="unreachable"']);
  });

  it('fails closed when the object answers an error or garbage', async () => {
    for (const [status, body] of [[500, { claimed: true }], [400, {}], [200, { claimed: 'yes' }], [200, null], [200, {}]] as const) {
      await expect(createDurableObjectOnceStore(namespaceOf(answering(status, body)), { clock }).claim('k', start), `${status} ${JSON.stringify(body)}`)
        .rejects.toMatchObject({ type: 'once_store_unavailable' });
    }
  });

  it('fails closed when the binding is missing or idFromName throws', async () => {
    await expect(createDurableObjectOnceStore(undefined as unknown as OnceRecordNamespace, { clock }).claim('k', start)).rejects.toMatchObject({
      type: 'once_store_unavailable',
    });
    const throwing: OnceRecordNamespace = {
      idFromName: () => {
        throw new Error('binding missing');
      },
      get: () => answering(200, { claimed: true }),
    };
    await expect(createDurableObjectOnceStore(throwing, { clock }).claim('k', start)).rejects.toMatchObject({ type: 'once_store_unavailable' });
  });
});
