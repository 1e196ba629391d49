/**
 * shared/passwords/port.ts: the argon2 gate each runtime gets by default. A Worker runs one
 * verification at a time and lets 16 wait; past that a login is refused at once with 503 server_busy.
 */
import { hash } from '@node-rs/argon2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeKind } from '../shared/platform.js';
import { passwordVerifierPort } from '../shared/passwords/port.js';
import { createTestPlatform } from './helpers/platform.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** The gate a port of `kind` is built with, on a machine reporting `cores` processors (`undefined`: no `navigator` at all). */
function gateOn(kind: RuntimeKind, cores: number | undefined, env: Record<string, string> = {}) {
  vi.stubGlobal('navigator', cores === undefined ? undefined : { hardwareConcurrency: cores });
  const { runtime } = createTestPlatform({ env });
  const { limit, maxQueue, maxWaitMs } = passwordVerifierPort.create({ ...runtime, kind }).gate;
  return { limit, maxQueue, maxWaitMs };
}

describe('passwordVerifierPort defaults', () => {
  it('on Workers: one verification at a time, 16 waiting, the next refused with server_busy and Retry-After 2', async () => {
    const phc = await hash('correct horse', { memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const { runtime } = createTestPlatform();
    const verifier = passwordVerifierPort.create({ ...runtime, kind: 'workers' });
    const attempts = Array.from({ length: 18 }, () => verifier.verify(phc, 'correct horse').catch((error: unknown) => error));
    const results = await Promise.all(attempts);
    expect(results.slice(0, 17)).toEqual(Array.from({ length: 17 }, () => true));
    expect(results[17]).toMatchObject({ type: 'server_busy', status: 503, headers: { 'Retry-After': '2' } });
  });

  it('on Workers: one at a time, 16 waiting, 2 s of waiting, whatever the processor count', () => {
    expect(gateOn('workers', 8)).toEqual({ limit: 1, maxQueue: 16, maxWaitMs: 2000 });
  });

  it('on Appwrite: two at a time (two 64 MiB hashes in the default 512 MB spec), 64 waiting, 5 s, whatever the processor count', () => {
    expect(gateOn('appwrite', 8)).toEqual({ limit: 2, maxQueue: 64, maxWaitMs: 5000 });
  });

  it.each([
    [6, 6],
    [1000, 256],
    [0, 1],
    [undefined, 1],
  ])('on a Node server with %s processors: %i at a time (one per core, at most 256), 1000 waiting, 5 s', (cores, limit) => {
    expect(gateOn('node', cores)).toEqual({ limit, maxQueue: 1000, maxWaitMs: 5000 });
  });

  it('takes the settings from the environment, within the runtime ceiling', () => {
    expect(gateOn('node', 2, { ARGON2_MAX_CONCURRENCY: '256', ARGON2_MAX_QUEUE: '0', ARGON2_MAX_WAIT_MS: '60000' })).toEqual({
      limit: 256,
      maxQueue: 0,
      maxWaitMs: 60_000,
    });
    expect(() => gateOn('node', 2, { ARGON2_MAX_CONCURRENCY: '257' })).toThrow(/ARGON2_MAX_CONCURRENCY/);
    expect(() => gateOn('workers', 2, { ARGON2_MAX_CONCURRENCY: '2' })).toThrow(/ARGON2_MAX_CONCURRENCY/);
    expect(() => gateOn('workers', 2, { ARGON2_MAX_QUEUE: '1001' })).toThrow(/ARGON2_MAX_QUEUE/);
  });

  it('gives every verifier built with the same settings in a process the same gate: the memory bound is the process’s', () => {
    const { runtime } = createTestPlatform({ env: { ARGON2_MAX_CONCURRENCY: '5', ARGON2_MAX_QUEUE: '7' } });
    const first = passwordVerifierPort.create(runtime);
    const second = passwordVerifierPort.create(runtime);
    expect(second.gate).toBe(first.gate);
    const other = createTestPlatform({ env: { ARGON2_MAX_CONCURRENCY: '5', ARGON2_MAX_QUEUE: '8' } });
    expect(passwordVerifierPort.create(other.runtime).gate).not.toBe(first.gate);
  });
});

describe('passwordVerifierPort: the turn before each verification', () => {
  it('on Node and Appwrite: I/O already pending is delivered before a verification starts', async () => {
    // Settings of their own: a gate is built once per settings, and the turn is chosen when it is.
    for (const [kind, queue] of [
      ['node', '9'],
      ['appwrite', '10'],
    ] as const) {
      const { runtime } = createTestPlatform({ env: { ARGON2_MAX_QUEUE: queue } });
      const { gate } = passwordVerifierPort.create({ ...runtime, kind });
      const order: string[] = [];
      setImmediate(() => order.push('pending I/O'));
      await gate.run(async () => void order.push('verification'));
      expect(order, kind).toEqual(['pending I/O', 'verification']);
    }
  });

  it('on Workers: a verification starts only after a timer turn, across which workerd’s clock catches up', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { runtime } = createTestPlatform({ env: { ARGON2_MAX_QUEUE: '15' } });
    const { gate } = passwordVerifierPort.create({ ...runtime, kind: 'workers' });
    let started = false;
    const run = gate.run(async () => void (started = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    await run;
    expect(started).toBe(true);
  });
});
