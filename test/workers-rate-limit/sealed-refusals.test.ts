// Sealed windows inside workerd, against the real RateLimitCounter object: when a refusal may be
// remembered by a Worker isolate (until its window ends) and why a remembered one is never wrong.
// The object measures idleness on its own clock; tests age a counter by moving its last admission
// back in its storage, as SEAL_AFTER_IDLE_MS of real time would.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import { SEAL_AFTER_IDLE_MS } from '../../shared/rate-limit/durable-object.js';
import { createDurableObjectStore, type CounterNamespace } from '../../shared/rate-limit/durable-object-store.js';
import { counterName, type RateLimitRule } from '../../shared/rate-limit/store.js';

const rule: RateLimitRule = { limit: 3, windowSeconds: 60 };
const seal = { seal: true };

function movableClock(start: number) {
  let current = start;
  return { now: () => current, set: (ms: number) => void (current = ms) };
}

/** A window ten real minutes ahead, so no alarm of the object can end it during a test. */
function laterMinute(): number {
  const now = Date.now() + 10 * 60_000;
  return now - (now % 60_000);
}

/** The namespace as a Worker isolate sees it, counting the requests that reach an object. */
function countingNamespace(): CounterNamespace<DurableObjectId> & { calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    idFromName: (name) => env.RATE_LIMITER.idFromName(name),
    get: (id) => {
      const stub = env.RATE_LIMITER.get(id);
      return {
        fetch: (url, init) => {
          calls += 1;
          return stub.fetch(url, init);
        },
      };
    },
  };
}

function stubOf(key: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(counterName(key, rule)));
}

/** As if nothing had been admitted for the idle period: the last admission moves back by it. */
async function ageCounter(key: string): Promise<void> {
  await runInDurableObject(stubOf(key), (_instance, state) => {
    state.storage.sql.exec('UPDATE counter SET admitted_at = admitted_at - ?', SEAL_AFTER_IDLE_MS);
  });
}

function capturedLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger((line) => lines.push(line), (line) => lines.push(line)) };
}

async function fill(store: ReturnType<typeof createDurableObjectStore>, key: string): Promise<void> {
  for (let i = 0; i < rule.limit; i += 1) expect((await store.consume(key, rule, seal)).allowed).toBe(true);
}

describe('sealed windows (workerd)', () => {
  it('does not seal right after the last admission: a clear still opens the window everywhere', async () => {
    const clock = movableClock(laterMinute());
    const namespace = countingNamespace();
    const store = createDurableObjectStore(namespace, { clock });
    await fill(store, 'in-flight');
    // An attacker's attempt is refused while the owner's admitted login may still be running.
    expect(await store.consume('in-flight', rule, seal)).toMatchObject({ allowed: false, remaining: 0 });
    expect(store.knownRefusal?.('in-flight', rule)).toBeNull();

    // The owner's success clears the counter: no isolate keeps refusing them.
    await store.reset('in-flight', rule);
    const before = namespace.calls();
    expect(await store.consume('in-flight', rule, seal)).toMatchObject({ allowed: true, remaining: 2 });
    expect(namespace.calls()).toBe(before + 1);
    expect(await createDurableObjectStore(env.RATE_LIMITER, { clock }).consume('in-flight', rule, seal)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('seals once the full counter was idle: refusals come from memory, a clear leaves the window, other isolates are refused too', async () => {
    const start = laterMinute();
    const clock = movableClock(start);
    const namespace = countingNamespace();
    const { lines, logger } = capturedLogger();
    const store = createDurableObjectStore(namespace, { clock, logger });
    await fill(store, 'sealed');
    await ageCounter('sealed');

    expect(await store.consume('sealed', rule, seal)).toEqual({ allowed: false, remaining: 0, resetAt: start + 60_000 });
    const calls = namespace.calls();
    for (let i = 0; i < 20; i += 1) expect((await store.consume('sealed', rule, seal)).allowed).toBe(false);
    expect(store.knownRefusal?.('sealed', rule)).toEqual({ allowed: false, remaining: 0, resetAt: start + 60_000 });
    expect(namespace.calls()).toBe(calls);

    // A success that took longer than the idle period to clear: the sealed window stays, and says so.
    await store.reset('sealed', rule);
    expect(lines.join('\n')).toContain('rate_limit_clear_too_late');
    const elsewhere = createDurableObjectStore(env.RATE_LIMITER, { clock });
    expect(await elsewhere.consume('sealed', rule)).toMatchObject({ allowed: false, remaining: 0 });
    expect(elsewhere.knownRefusal?.('sealed', rule)).toEqual({ allowed: false, remaining: 0, resetAt: start + 60_000 });
  });

  it('never seals for a caller that does not stop at refusals (within): its clears always count', async () => {
    const clock = movableClock(laterMinute());
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock });
    await fill(store, 'threshold');
    await ageCounter('threshold');
    expect((await store.consume('threshold', rule)).allowed).toBe(false);
    expect(store.knownRefusal?.('threshold', rule)).toBeNull();
    await store.reset('threshold', rule);
    expect(await store.consume('threshold', rule)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps the bound exact under concurrency, before and after sealing', async () => {
    const clock = movableClock(laterMinute());
    const namespaces = [countingNamespace(), countingNamespace()];
    const stores = namespaces.map((namespace) => createDurableObjectStore(namespace, { clock }));
    const limit = { limit: 7, windowSeconds: 60 };
    const burst = (count: number) => Promise.all(Array.from({ length: count }, (_, i) => stores[i % 2]!.consume('race-sealed', limit, seal)));

    const first = await burst(60);
    expect(first.filter((result) => result.allowed)).toHaveLength(7);
    await runInDurableObject(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(counterName('race-sealed', limit))), (_instance, state) => {
      state.storage.sql.exec('UPDATE counter SET admitted_at = admitted_at - ?', SEAL_AFTER_IDLE_MS);
    });
    const second = await burst(60);
    expect(second.filter((result) => result.allowed)).toHaveLength(0);
    // Each isolate asked the object until it learnt of the seal, and not once after.
    const calls = namespaces.map((namespace) => namespace.calls());
    expect((await burst(60)).filter((result) => result.allowed)).toHaveLength(0);
    expect(namespaces.map((namespace) => namespace.calls())).toEqual(calls);
  });

  it('forgets a sealed refusal when its window ends: the next window counts from zero', async () => {
    const start = laterMinute();
    const clock = movableClock(start);
    const store = createDurableObjectStore(countingNamespace(), { clock });
    await fill(store, 'rollover');
    await ageCounter('rollover');
    expect((await store.consume('rollover', rule, seal)).allowed).toBe(false);
    clock.set(start + 59_999);
    expect(store.knownRefusal?.('rollover', rule)).toMatchObject({ allowed: false });
    clock.set(start + 60_000);
    expect(store.knownRefusal?.('rollover', rule)).toBeNull();
    expect(await store.consume('rollover', rule, seal)).toEqual({ allowed: true, remaining: 2, resetAt: start + 120_000 });
  });

  it('adds the new columns to a counter stored before them, which is then never sealed', async () => {
    const start = laterMinute();
    const clock = movableClock(start);
    await runInDurableObject(stubOf('old-row'), (_instance, state) => {
      state.storage.sql.exec('CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1), window INTEGER NOT NULL, hits INTEGER NOT NULL, reset_at INTEGER NOT NULL)');
      state.storage.sql.exec('INSERT INTO counter VALUES (1, ?, 3, ?)', start / 60_000, start + 60_000);
    });
    const store = createDurableObjectStore(env.RATE_LIMITER, { clock });
    expect(await store.consume('old-row', rule, seal)).toEqual({ allowed: false, remaining: 0, resetAt: start + 60_000 });
    expect(store.knownRefusal?.('old-row', rule)).toBeNull();
    await store.reset('old-row', rule);
    expect(await store.consume('old-row', rule, seal)).toMatchObject({ allowed: true, remaining: 2 });
  });
});
