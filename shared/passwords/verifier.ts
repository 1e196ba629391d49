/**
 * The password-verifier port, and the bound on how many argon2 computations run at once.
 *
 * Each runtime brings its own argon2id implementation (`node-argon2.ts` on Node and Appwrite,
 * `wasm-argon2.ts` on Workers); both read the parameters from the PHC string, so a hash made by
 * either, or by Appwrite itself, verifies on both.
 *
 * @module
 */
import { systemClock, type Clock } from '../clock.js';
import { KitError } from '../errors.js';

/** Checks a password against a stored PHC hash string. */
export interface PasswordVerifier {
  /** `true` when `password` matches `phcHash`. Never throws for a wrong password or a malformed hash. */
  verify(phcHash: string, password: string): Promise<boolean>;
}

/** How many callers may wait for a slot, and for how long. */
export interface ConcurrencyLimitOptions {
  /** Callers that may wait for a slot; one more is refused at once. Unbounded by default. */
  maxQueue?: number;
  /** Milliseconds a caller may have waited when its task would start; past that it is refused. Unbounded by default. */
  maxWaitMs?: number;
  /** Measures the wait. */
  clock?: Clock;
  /**
   * Gives the event loop its turn before a task starts. Default: a zero-delay timer, which is what
   * lets workerd's clock catch up. On Node a timer waits at least 1 ms, with the slot held and
   * idle, on every login; `setImmediate` gives the same turn (pending I/O is delivered first) at once.
   */
  yieldTurn?: () => Promise<void>;
}

interface Waiter {
  readonly since: number;
  readonly ticket: number;
  /** Set when it was taken out of the line for having waited too long. */
  overdue: boolean;
}

/** How often the first in line looks for a free slot; those further back look less often, up to {@link MAX_POLL_MS}. */
const POLL_MS = 5;
const MAX_POLL_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A counting semaphore that sheds load. argon2id at Appwrite's parameters holds 64 MiB per
 * computation, so memory is bounded by `limit`, not by the number of requests; waiting callers
 * hold almost nothing. Past `maxQueue` waiters, or `maxWaitMs` of waiting before its task starts,
 * a caller is refused with 503 `server_busy` and a `Retry-After`.
 *
 * Built for Wasm argon2 on Workers, which blocks the isolate while it runs: requests reach the gate
 * one at a time, so the queue's length alone never sheds anything there. Hence, holding its slot,
 * every caller first gives the event loop a turn: requests that piled up during the last
 * verification are delivered (and queue, `/health` is answered), and the clock, which on Workers
 * stands still until I/O happens, catches up. Only then is the wait judged, from the clock.
 *
 * A waiter watches for its turn with timers of its own rather than being woken by the caller
 * before it: in workerd one request cannot settle a promise another awaits (the awaiting request
 * fails, or is cancelled as hung). Its checks also take out of the line every waiter already over
 * the budget, so one whose request is gone (its timers cancelled) holds the line up no longer than that.
 *
 * @example
 * ```ts
 * const gate = new ConcurrencyLimit(2, { maxQueue: 1000, maxWaitMs: 5000 });
 * const ok = await gate.run(() => argon2.verify(hash, password));
 * ```
 */
export class ConcurrencyLimit {
  #running = 0;
  #tickets = 0;
  readonly #waiting: Waiter[] = [];
  readonly #clock: Clock;
  readonly #yieldTurn: () => Promise<void>;
  readonly maxQueue: number;
  readonly maxWaitMs: number;

  constructor(
    readonly limit: number,
    options: ConcurrencyLimitOptions = {},
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
    this.maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock ?? systemClock;
    this.#yieldTurn = options.yieldTurn ?? (() => sleep(0));
  }

  /** How many slots are taken (by a running task, or by a caller about to start one). */
  get running(): number {
    return this.#running;
  }

  /** How many callers wait for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` once a slot is free; rejects with `server_busy` when the queue is full or the wait too long. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const since = this.#clock.now();
    // First come, first served: a free slot goes to the line before a newcomer.
    if (this.#running < this.limit && this.#waiting.length === 0) this.#running++;
    else await this.#takeSlotInTurn(since);
    try {
      await this.#yieldTurn();
      if (this.#clock.now() - since > this.maxWaitMs) throw this.#busy();
      return await task();
    } finally {
      this.#running--;
    }
  }

  /** Queues until a slot is free and this caller is first in line; then it holds the slot. */
  async #takeSlotInTurn(since: number): Promise<void> {
    if (this.#waiting.length >= this.maxQueue) throw this.#busy();
    // Stryker disable next-line UpdateOperator: tickets only pace the polling below; the line's order is the array's
    const me: Waiter = { since, ticket: this.#tickets++, overdue: false };
    this.#waiting.push(me);
    for (;;) {
      // Stryker disable next-line ArithmeticOperator,LogicalOperator,OptionalChaining: paces the polling only, no answer depends on it
      const ahead = me.ticket - (this.#waiting[0]?.ticket ?? me.ticket);
      // Stryker disable next-line MethodExpression,ArithmeticOperator: paces the polling only, no answer depends on it
      await sleep(Math.min(POLL_MS * (1 + ahead), MAX_POLL_MS));
      this.#takeOutOverdue(this.#clock.now());
      if (me.overdue) throw this.#busy();
      if (this.#waiting[0] === me && this.#running < this.limit) {
        this.#waiting.shift();
        this.#running++;
        return;
      }
    }
  }

  #takeOutOverdue(now: number): void {
    // The longest waiters are at the front.
    while (this.#waiting.length > 0 && now - this.#waiting[0]!.since > this.maxWaitMs) this.#waiting.shift()!.overdue = true;
  }

  #busy(): KitError {
    // A queue that made someone wait this long takes about as long to drain.
    const retryAfter = Number.isFinite(this.maxWaitMs) ? Math.max(1, Math.ceil(this.maxWaitMs / 1000)) : 1;
    return new KitError('server_busy', 'Too many logins are in progress. Try again shortly.', { 'Retry-After': String(retryAfter) });
  }
}

/**
 * Wraps a verifier so that at most `gate.limit` verifications run at once.
 *
 * @example
 * ```ts
 * const verifier = limitVerifier(nodeArgon2Verifier, new ConcurrencyLimit(2, { maxQueue: 1000, maxWaitMs: 5000 }));
 * ```
 */
export function limitVerifier(verifier: PasswordVerifier, gate: ConcurrencyLimit): PasswordVerifier {
  return { verify: (hash, password) => gate.run(() => verifier.verify(hash, password)) };
}

/**
 * An argon2id hash of a random password nobody knows, at Appwrite's default parameters
 * (m=65536, t=4, p=3). Unknown users are verified against it so that a login for a missing
 * account costs the same argon2 work as one for a real account.
 */
export const DUMMY_ARGON2ID_HASH =
  '$argon2id$v=19$m=65536,t=4,p=3$IioOVM9WlAji2hABrA3+FA$6kQ8ay/M8pD4VAjBv+ka25d9i5qcTfqw0tvfo5LwXLM';

/** The cost parameters of an argon2 PHC hash. */
export interface Argon2Parameters {
  variant: 'argon2id' | 'argon2i' | 'argon2d';
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

/**
 * The most any stored hash may ask for. Appwrite's own parameters (m=65536, t=4, p=3) are the
 * ceiling for memory, so the argon2 concurrency limit really bounds memory at limit x 64 MiB: a
 * hash asking for more (an import gone wrong, a tampered record) is a failed match, not an OOM.
 */
export const ARGON2_LIMITS = { maxMemoryKiB: 65_536, maxTimeCost: 16, maxParallelism: 16 } as const;

const phcPrefix = /^\$(argon2id|argon2i|argon2d)\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * The parameters of an argon2 (v=19) PHC hash this kit will verify, or `null` for anything else:
 * another algorithm, a malformed string, or costs above {@link ARGON2_LIMITS}.
 *
 * @example
 * ```ts
 * argon2Parameters('$argon2id$v=19$m=65536,t=4,p=3$c2FsdA$aGFzaA'); // { variant: 'argon2id', memoryKiB: 65536, timeCost: 4, parallelism: 3 }
 * argon2Parameters('$2y$10$...'); // null (bcrypt)
 * ```
 */
export function argon2Parameters(phcHash: string): Argon2Parameters | null {
  const match = phcPrefix.exec(phcHash);
  if (!match) return null;
  const [, variant, m, t, p] = match;
  const parameters = { variant: variant as Argon2Parameters['variant'], memoryKiB: Number(m), timeCost: Number(t), parallelism: Number(p) };
  if (parameters.memoryKiB > ARGON2_LIMITS.maxMemoryKiB || parameters.timeCost > ARGON2_LIMITS.maxTimeCost) return null;
  if (parameters.parallelism < 1 || parameters.parallelism > ARGON2_LIMITS.maxParallelism) return null;
  return parameters;
}

const dummyParameters = argon2Parameters(DUMMY_ARGON2ID_HASH)!;

/**
 * Whether a hash costs less to verify than the dummy an unknown user is checked against. Such a
 * user would answer faster than a missing one, so the login runs the dummy as well.
 *
 * @example
 * ```ts
 * isCheaperThanDummy(argon2Parameters('$argon2id$v=19$m=2048,t=4,p=3$...')!); // true: an older Appwrite's hash
 * ```
 */
export function isCheaperThanDummy(parameters: Argon2Parameters): boolean {
  return parameters.memoryKiB * parameters.timeCost < dummyParameters.memoryKiB * dummyParameters.timeCost;
}
