// The Durable Object store's failure handling, in Node with fake namespaces. Its real behaviour
// (atomicity, windows, alarms) is tested inside workerd by test/workers-rate-limit.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { counterRequestSchema } from '../../shared/rate-limit/durable-object.js';
import { createDurableObjectStore, type CounterNamespace, type CounterStub } from '../../shared/rate-limit/durable-object-store.js';
import { manualClock } from '../helpers/clock.js';

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

/** A logger whose lines a test reads. */
function logLines() {
  const lines: string[] = [];
  return { lines, logger: createLogger((line) => lines.push(line)) };
}

/**
 * An object that answers `answers` in turn and records each request as the Workers runtime would
 * hand it over: a stub's `fetch` takes `fetch`'s arguments, so they must make a valid `Request`.
 */
function recordingObject(...answers: unknown[]) {
  const requests: { method: string; url: string; contentType: string | null; body: unknown }[] = [];
  const stub: CounterStub = {
    fetch: async (url, init) => {
      const request = new Request(url, init);
      requests.push({ method: request.method, url: request.url, contentType: request.headers.get('content-type'), body: await request.json() });
      return { ok: true, status: 200, json: async () => answers[requests.length - 1] };
    },
  };
  return { requests, stub };
}

describe('Durable Object store failures', () => {
  it('addresses one object per key and rule, and passes the answer through', async () => {
    const names: string[] = [];
    const store = createDurableObjectStore(namespaceOf(answering(200, { allowed: true, remaining: 2, resetAt: 60_000 }), names));
    expect(await store.consume('ip:unknown', rule)).toEqual({ allowed: true, remaining: 2, resetAt: 60_000 });
    await store.consume('ip:unknown', { limit: 3, windowSeconds: 3600 });
    expect(names).toEqual(['ip:unknown|3/60', 'ip:unknown|3/3600']);
  });

  it('fails closed when the object cannot be reached, logging which call failed and why', async () => {
    const { lines, logger } = logLines();
    const store = createDurableObjectStore(namespaceOf({ fetch: () => Promise.reject(new Error('Network connection lost.')) }), { logger });
    await expect(store.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    await expect(store.reset('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
    expect(lines).toEqual([
      'rate_limiter_call_failed store="durable_object" operation="consume" reason="unreachable"',
      'rate_limiter_call_failed store="durable_object" operation="reset" reason="unreachable"',
    ]);
  });

  it('fails closed on an error status whatever the body says, logging the status once', async () => {
    const { lines, logger } = logLines();
    // A body that would read as an allowance: only a 2xx answer counts.
    const store = createDurableObjectStore(namespaceOf(answering(500, { allowed: true, remaining: 2, resetAt: 60_000, reset: true })), { logger });
    await expect(store.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    await expect(store.reset('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
    expect(lines).toEqual([
      'rate_limiter_call_failed store="durable_object" operation="consume" status=500',
      'rate_limiter_call_failed store="durable_object" operation="reset" status=500',
    ]);
  });

  it('fails closed when the object answers garbage, logging a bad response', async () => {
    const { lines, logger } = logLines();
    const store = createDurableObjectStore(namespaceOf(answering(200, { allowed: 'yes' })), { logger });
    await expect(store.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    await expect(store.reset('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    expect(lines).toEqual([
      'rate_limiter_call_failed store="durable_object" operation="consume" reason="bad_response"',
      'rate_limiter_call_failed store="durable_object" operation="reset" reason="bad_response"',
    ]);
  });

  it('fails closed the same without a logger', async () => {
    for (const stub of [answering(500, {}), answering(200, { allowed: 'yes' }), { fetch: () => Promise.reject(new Error('Network connection lost.')) }]) {
      const store = createDurableObjectStore(namespaceOf(stub));
      await expect(store.consume('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
      await expect(store.reset('k', rule)).rejects.toMatchObject({ type: 'rate_limiter_unavailable', status: 503 });
    }
    // And a clear that came too late is no failure.
    await expect(createDurableObjectStore(namespaceOf(answering(200, { reset: false }))).reset('k', rule)).resolves.toBeUndefined();
  });

  it('a failing store works again once the object answers: a failure is not remembered', async () => {
    let down = true;
    const store = createDurableObjectStore(
      namespaceOf({
        fetch: async () => {
          if (down) throw new Error('Network connection lost.');
          return { ok: true, status: 200, json: async () => ({ allowed: true, remaining: 2, resetAt: 60_000 }) };
        },
      }),
    );
    await expect(store.consume('k', rule, { seal: true })).rejects.toMatchObject({ type: 'rate_limiter_unavailable' });
    expect(store.knownRefusal?.('k', rule)).toBeNull();
    down = false;
    expect(await store.consume('k', rule, { seal: true })).toEqual({ allowed: true, remaining: 2, resetAt: 60_000 });
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

describe('Durable Object store: what it asks the object', () => {
  it('sends each call as a JSON POST the object accepts, on the caller\'s clock', async () => {
    const { requests, stub } = recordingObject(
      { allowed: true, remaining: 2, resetAt: 120_000 },
      { allowed: true, remaining: 1, resetAt: 120_000 },
      { reset: true },
    );
    const store = createDurableObjectStore(namespaceOf(stub), { clock: { now: () => 90_000 } });
    await store.consume('k', rule);
    await store.consume('k', rule, { seal: true });
    await store.reset('k', rule);
    for (const request of requests) {
      expect(request).toMatchObject({ method: 'POST', contentType: 'application/json' });
      expect(counterRequestSchema.safeParse(request.body).success).toBe(true);
    }
    expect(requests.map((request) => request.body)).toEqual([
      { op: 'consume', now: 90_000, rule, seal: false },
      { op: 'consume', now: 90_000, rule, seal: true },
      { op: 'reset', now: 90_000 },
    ]);
  });

  it('reset logs a clear that came too late for a sealed window, and nothing for one that cleared', async () => {
    const { lines, logger } = logLines();
    const { requests, stub } = recordingObject({ reset: true }, { reset: false });
    const store = createDurableObjectStore(namespaceOf(stub), { logger });
    await expect(store.reset('k', rule)).resolves.toBeUndefined();
    expect(lines).toEqual([]);
    await expect(store.reset('k', rule)).resolves.toBeUndefined();
    expect(lines).toEqual(['rate_limit_clear_too_late store="durable_object"']);
    expect(requests).toHaveLength(2);
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

    const unsealed = createDurableObjectStore(namespaceOf(answering(200, { allowed: false, remaining: 0, resetAt: 120_000 })), { clock: { now: () => 90_000 } });
    await unsealed.consume('k', rule, { seal: true });
    expect(unsealed.knownRefusal?.('k', rule)).toBeNull();
  });

  it('answers a remembered refusal until its window ends, and asks the object again from the end on', async () => {
    const { bodies, stub } = sealedObject();
    const clock = manualClock(90_000);
    const store = createDurableObjectStore(namespaceOf(stub), { clock });
    await store.consume('k', rule, { seal: true });
    clock.set(119_999);
    expect(store.knownRefusal?.('k', rule)).toEqual({ allowed: false, remaining: 0, resetAt: 120_000 });
    expect(await store.consume('k', rule, { seal: true })).toEqual({ allowed: false, remaining: 0, resetAt: 120_000 });
    expect(bodies).toHaveLength(1);
    clock.set(120_000);
    expect(store.knownRefusal?.('k', rule)).toBeNull();
    await store.consume('k', rule, { seal: true });
    expect(bodies).toHaveLength(2);
    // Every other counter, another key or another rule on the key, is the object's to answer.
    expect(store.knownRefusal?.('other', rule)).toBeNull();
    expect(store.knownRefusal?.('k', { limit: 3, windowSeconds: 3600 })).toBeNull();
  });

  it('when full, makes room by forgetting ended windows before any live one', async () => {
    const bodies: Record<string, unknown>[] = [];
    const stub: CounterStub = {
      fetch: async (_url, init) => {
        const body = JSON.parse(init.body) as { rule: { windowSeconds: number } };
        bodies.push(body);
        // The object's answer: sealed until the end of the current window of the rule asked about.
        const windowMs = body.rule.windowSeconds * 1000;
        return { ok: true, status: 200, json: async () => ({ allowed: false, remaining: 0, resetAt: (Math.floor(clock.now() / windowMs) + 1) * windowMs, sealed: true }) };
      },
    };
    const clock = manualClock(90_000);
    const store = createDurableObjectStore(namespaceOf(stub), { clock, maxRememberedRefusals: 2 });
    const hour = { limit: 3, windowSeconds: 3600 };
    await store.consume('live', hour, { seal: true }); // sealed until 3,600,000: the oldest
    await store.consume('ending', rule, { seal: true }); // sealed until 120,000
    clock.set(120_000);
    await store.consume('new', rule, { seal: true });
    // `ending` had ended, so it made the room: the older `live` is still answered without asking.
    expect(store.knownRefusal?.('live', hour)).toMatchObject({ allowed: false, resetAt: 3_600_000 });
    expect(store.knownRefusal?.('new', rule)).toMatchObject({ allowed: false, resetAt: 180_000 });
    expect(bodies).toHaveLength(3);
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
