import { describe, expect, it } from 'vitest';
import { KitError } from '../shared/errors.js';
import { ConcurrencyLimit, limitVerifier } from '../shared/passwords/verifier.js';

/** A task that stays running until released, recording how many run at once. */
function gatedTasks() {
  let running = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const task = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
    return true;
  };
  const releaseAll = async () => {
    while (releases.length > 0 || running > 0) {
      releases.splice(0).forEach((release) => release());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { task, releaseAll, peak: () => peak };
}

describe('ConcurrencyLimit (the argon2 gate)', () => {
  it('never runs more than its limit at once, and runs every task', async () => {
    const gate = new ConcurrencyLimit(2);
    const { task, releaseAll, peak } = gatedTasks();
    const all = Promise.all(Array.from({ length: 10 }, () => gate.run(task)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(8);
    await releaseAll();
    expect(await all).toHaveLength(10);
    expect(peak()).toBe(2);
    expect(gate.running).toBe(0);
  });

  it('refuses with 503 server_busy once the queue is full', async () => {
    const gate = new ConcurrencyLimit(1, 1);
    const { task, releaseAll } = gatedTasks();
    const first = gate.run(task);
    const second = gate.run(task);
    const third = gate.run(task).catch((error: unknown) => error);
    expect(await third).toBeInstanceOf(KitError);
    expect(await third).toMatchObject({ type: 'server_busy', status: 503 });
    await releaseAll();
    await Promise.all([first, second]);
  });

  it('frees the slot when a task throws', async () => {
    const verifier = limitVerifier({ verify: () => Promise.reject(new Error('boom')) }, new ConcurrencyLimit(1, 0));
    await expect(verifier.verify('x', 'y')).rejects.toThrow('boom');
    await expect(verifier.verify('x', 'y')).rejects.toThrow('boom'); // not server_busy: the slot came back
  });
});
