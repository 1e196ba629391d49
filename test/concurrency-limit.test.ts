import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../shared/config.js';
import { KitError } from '../shared/errors.js';
import { passwordVerifierPort } from '../shared/passwords/port.js';
import { ConcurrencyLimit, DUMMY_ARGON2ID_HASH, limitVerifier } from '../shared/passwords/verifier.js';
import { manualClock } from './helpers/clock.js';
import { createTestPlatform } from './helpers/platform.js';

// The gate's own timers (its turn before each task, a waiter's checks for its turn) run on fake
// timers, so each step happens when a test says so; the wait it judges comes from `manualClock`.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** Long enough for every waiter to have looked for its turn, and for a slot taken to start its task. */
const settle = () => vi.advanceTimersByTimeAsync(200);

/** A task that stays running until released, recording how many run at once and in which order they started. */
function gatedTasks() {
  let running = 0;
  let peak = 0;
  const started: string[] = [];
  const releases: Array<() => void> = [];
  const task = (name = '') => async () => {
    started.push(name);
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
    return name;
  };
  /** Ends the oldest running task and lets the gate give its slot to the next. */
  const releaseOne = async () => {
    releases.shift()!();
    await settle();
  };
  /** Ends the tasks running now, and only those. */
  const releaseRunning = async () => {
    releases.splice(0).forEach((release) => release());
    await settle();
  };
  /** Ends every task, those started meanwhile included, until none is left. */
  const releaseAll = async () => {
    await settle();
    while (releases.length > 0) await releaseRunning();
  };
  return { task, releaseOne, releaseRunning, releaseAll, peak: () => peak, started };
}

/** The error a refused call rejects with, or `undefined` while it has not been refused. */
function outcome(promise: Promise<unknown>) {
  let refusal: unknown;
  promise.catch((error: unknown) => (refusal = error));
  return () => refusal;
}

describe('ConcurrencyLimit (the argon2 gate)', () => {
  it('never runs more than its limit at once, and runs every task', async () => {
    const gate = new ConcurrencyLimit(2);
    const { task, releaseAll, peak } = gatedTasks();
    const all = Promise.all(Array.from({ length: 10 }, () => gate.run(task())));
    await settle();
    expect(gate.running).toBe(2);
    expect(gate.waiting).toBe(8);
    await releaseAll();
    expect(await all).toHaveLength(10);
    expect(peak()).toBe(2);
    expect(gate.running).toBe(0);
  });

  it('refuses with 503 server_busy and a Retry-After once the queue is full', async () => {
    const gate = new ConcurrencyLimit(1, { maxQueue: 1 });
    const { task, releaseAll } = gatedTasks();
    const first = gate.run(task());
    const second = gate.run(task());
    const third = gate.run(task()).catch((error: unknown) => error);
    expect(await third).toBeInstanceOf(KitError);
    expect(await third).toMatchObject({ type: 'server_busy', status: 503, headers: { 'Retry-After': '1' } });
    await releaseAll();
    await Promise.all([first, second]);
  });

  it('refuses a limit of zero, or any limit that is not a positive integer: such a gate would queue every login forever', () => {
    for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ConcurrencyLimit(limit), String(limit)).toThrow(RangeError);
    }
    expect(new ConcurrencyLimit(1).limit).toBe(1);
  });

  it('sets Retry-After on server_busy to the wait budget in whole seconds, rounded up, at least 1', async () => {
    for (const [maxWaitMs, retryAfter] of [[5000, '5'], [2500, '3'], [2001, '3'], [100, '1'], [Number.POSITIVE_INFINITY, '1']] as const) {
      const gate = new ConcurrencyLimit(1, { maxQueue: 0, maxWaitMs });
      const { task, releaseAll } = gatedTasks();
      const running = gate.run(task());
      const refused = await gate.run(task()).catch((error: unknown) => error);
      expect(refused, String(maxWaitMs)).toMatchObject({ type: 'server_busy', status: 503, headers: { 'Retry-After': retryAfter } });
      await releaseAll();
      await running;
    }
  });

  it('frees the slot when a task throws', async () => {
    const verifier = limitVerifier({ verify: () => Promise.reject(new Error('boom')) }, new ConcurrencyLimit(1, { maxQueue: 0 }));
    const first = expect(verifier.verify('x', 'y')).rejects.toThrow('boom');
    await settle();
    await first;
    const second = expect(verifier.verify('x', 'y')).rejects.toThrow('boom'); // not server_busy: the slot came back
    await settle();
    await second;
  });

  it('gives slots first come, first served, even when a caller arrives as a slot comes free', async () => {
    const gate = new ConcurrencyLimit(1);
    const { task, releaseOne, releaseAll, started } = gatedTasks();
    const runs = ['a', 'b', 'c'].map((name) => gate.run(task(name)));
    await settle();
    // Arrives after `a` has ended, before `b` has seen the free slot: it must not jump the line.
    void runs[0]!.then(() => runs.push(gate.run(task('late'))));
    await releaseOne();
    await releaseAll();
    await Promise.all(runs);
    expect(started).toEqual(['a', 'b', 'c', 'late']);
  });

  it('gives the event loop a turn before each task', async () => {
    const gate = new ConcurrencyLimit(1);
    const order: string[] = [];
    const first = gate.run(async () => {
      // Something else the process has to do, ready by the time the task ends (a request to answer).
      setTimeout(() => order.push('other work'), 0);
      order.push('first');
    });
    const second = gate.run(async () => void order.push('second'));
    await settle();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'other work', 'second']);
  });

  it('gives that turn even to a caller that arrives only once the task has ended', async () => {
    // On Workers the next request reaches the gate only after a blocking verification: were its
    // task to start at once, verifications would run back to back and nothing else would be served.
    const gate = new ConcurrencyLimit(1);
    const order: string[] = [];
    const first = gate.run(async () => {
      setTimeout(() => order.push('other work'), 0);
      order.push('first');
    });
    const second = first.then(() => gate.run(async () => void order.push('second')));
    await settle();
    await second;
    expect(order).toEqual(['first', 'other work', 'second']);
  });
});

describe('ConcurrencyLimit: the wait budget (maxWaitMs)', () => {
  it('refuses every caller that waited longer as soon as a slot comes free, and lets the next in line run', async () => {
    const clock = manualClock(0);
    const gate = new ConcurrencyLimit(1, { maxWaitMs: 1000, clock });
    const { task, releaseOne, releaseAll, started } = gatedTasks();
    const a = gate.run(task('a'));
    await settle();
    const early = Array.from({ length: 10 }, (_, i) => outcome(gate.run(task(`early${i}`))));
    clock.advance(600);
    const c = gate.run(task('c'));
    const d = outcome(gate.run(task('d')));

    clock.advance(600); // the early ones have waited 1200 ms, c and d 600 ms
    await releaseOne();
    for (const refused of early) expect(refused()).toMatchObject({ type: 'server_busy', status: 503, headers: { 'Retry-After': '1' } });
    expect(started).toEqual(['a', 'c']);
    expect([gate.running, gate.waiting]).toEqual([1, 1]);

    clock.advance(1000); // d has waited 1600 ms
    await releaseOne();
    expect(d()).toMatchObject({ type: 'server_busy' });
    // Nobody was left to take the slot, and refusing took none: the next caller has it at once.
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
    const e = gate.run(task('e'));
    expect(gate.running).toBe(1);
    await releaseAll();
    expect(await Promise.all([a, c, e])).toEqual(['a', 'c', 'e']);
    expect(started).toEqual(['a', 'c', 'e']);
  });

  it('takes out of the line a waiter whose request is gone, once it is over the budget', async () => {
    // workerd cancels what a request whose client went away still had pending: such a waiter never
    // looks for its turn again, and must not keep the line behind it waiting forever.
    const clock = manualClock(0);
    const gate = new ConcurrencyLimit(1, { maxWaitMs: 1000, clock });
    const { task, releaseOne, releaseAll, started } = gatedTasks();
    const a = gate.run(task('a'));
    await settle();
    vi.spyOn(globalThis, 'setTimeout').mockImplementationOnce((() => 0) as unknown as typeof setTimeout); // its check never fires
    const gone = outcome(gate.run(task('gone')));
    clock.advance(500);
    const b = gate.run(task('b'));

    await releaseOne();
    expect(started).toEqual(['a']); // `gone` is still first in line
    clock.advance(600); // gone has waited 1100 ms, b 600 ms
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(gone()).toBeUndefined(); // it is never answered: its request no longer exists
    await releaseAll();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
  });

  it('judges the wait again after its turn, and gives the slot back when it refuses', async () => {
    const clock = manualClock(0);
    const gate = new ConcurrencyLimit(1, { maxWaitMs: 1000, clock });
    // Whatever runs in the turn before the task holds the thread for 1.5 s (the event loop lagged).
    setTimeout(() => clock.advance(1500), 0);
    const late = gate.run(async () => 'ran').catch((error: unknown) => error);
    await settle();
    expect(await late).toMatchObject({ type: 'server_busy', status: 503 });
    expect(gate.running).toBe(0);
    const next = gate.run(async () => 'ran');
    await settle();
    expect(await next).toBe('ran');
  });

  it('admits a caller that waited exactly the budget', async () => {
    const clock = manualClock(0);
    const gate = new ConcurrencyLimit(1, { maxWaitMs: 1000, clock });
    const { task, releaseOne, releaseAll, started } = gatedTasks();
    const runs = [gate.run(task('a'))];
    await settle();
    runs.push(gate.run(task('b')));
    clock.advance(1000);
    await releaseOne();
    expect(started).toEqual(['a', 'b']);
    await releaseAll();
    await Promise.all(runs);
  });

  it('measures a wait spent behind a task that blocks the thread, where no timer can fire (Wasm argon2 on Workers)', async () => {
    const clock = manualClock(0);
    const gate = new ConcurrencyLimit(1, { maxWaitMs: 1000, clock });
    // Holds the thread for 600 ms: the clock moves, but nothing else runs until it returns.
    const blocking = async () => {
      clock.advance(600);
      return 'verified';
    };
    const results = Promise.all(Array.from({ length: 5 }, () => gate.run(blocking).catch((error: unknown) => (error as KitError).type)));
    await settle();
    // The second waited 600 ms; the others 1200 ms by the time the second ended.
    expect(await results).toEqual(['verified', 'verified', 'server_busy', 'server_busy', 'server_busy']);
    expect(clock.now()).toBe(1200);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });

  it('never runs more than its limit while refusing, and keeps the order', async () => {
    const clock = manualClock(0);
    const gate = new ConcurrencyLimit(2, { maxWaitMs: 500, maxQueue: 100, clock });
    const { task, releaseRunning, peak, started } = gatedTasks();
    const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const runs = names.map((name) => gate.run(task(name)).catch(() => 'refused'));
    // Every round the clock moves and the tasks running end; whoever has waited too long is refused.
    for (let round = 0; round < 6; round++) {
      clock.advance(200);
      await releaseRunning();
    }
    const results = await Promise.all(runs);
    expect(peak()).toBe(2);
    expect(started).toEqual(names.filter((_, i) => results[i] !== 'refused'));
    expect(results).toContain('refused');
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
  });
});

describe('the turn before each task', () => {
  it('is the yieldTurn given: I/O already pending is delivered first, and no timer is waited for', async () => {
    const order: string[] = [];
    const gate = new ConcurrencyLimit(1, { yieldTurn: () => new Promise<void>((resolve) => setImmediate(resolve)) });
    setImmediate(() => order.push('pending I/O'));
    // setTimeout is faked and never advanced here: a timer-based turn would never end.
    await gate.run(async () => void order.push('task'));
    expect(order).toEqual(['pending I/O', 'task']);
  });

  it('on Node, the port starts a verification without a timer (a zero-delay one waits 1 ms, slot held, per login)', async () => {
    const { runtime } = createTestPlatform({ env: { ARGON2_MAX_CONCURRENCY: '3' } });
    const verifier = passwordVerifierPort.create(runtime);
    // Real argon2 off the main thread; setTimeout faked and never advanced.
    await expect(verifier.verify(DUMMY_ARGON2ID_HASH, 'wrong password')).resolves.toBe(false);
  }, 20_000);
});

describe('passwordVerifierPort: ARGON2_MAX_WAIT_MS', () => {
  it.each(['99', '60001', 'soon'])('refuses %s and names the variable, not the value', (value) => {
    const { runtime } = createTestPlatform({ env: { ARGON2_MAX_WAIT_MS: value } });
    const error = (() => {
      try {
        passwordVerifierPort.create(runtime);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(/^ARGON2_MAX_WAIT_MS/m);
    expect((error as ConfigError).message).not.toContain(value);
  });

  it('sheds, with the runtime clock, the verifications that waited longer than the budget, saying to retry after it', async () => {
    vi.useRealTimers(); // real argon2, off the main thread
    const clock = manualClock(0);
    const { runtime } = createTestPlatform({ clock, env: { ARGON2_MAX_CONCURRENCY: '1', ARGON2_MAX_WAIT_MS: '2500' } });
    const verifier = passwordVerifierPort.create(runtime);
    const attempts = Array.from({ length: 3 }, () => verifier.verify(DUMMY_ARGON2ID_HASH, 'wrong password').catch((error: unknown) => error));
    await new Promise((resolve) => setTimeout(resolve, 0)); // the first verification has started
    clock.advance(2501);
    const [first, ...rest] = await Promise.all(attempts);
    expect(first).toBe(false);
    // The budget, 2.5 s, rounded up to whole seconds.
    for (const refused of rest) expect(refused).toMatchObject({ type: 'server_busy', status: 503, headers: { 'Retry-After': '3' } });
  });
});
