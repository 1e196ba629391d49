/**
 * The password-verifier port, and the bound on how many argon2 computations run at once.
 *
 * Each runtime brings its own argon2id implementation (`node-argon2.ts` on Node and Appwrite,
 * `wasm-argon2.ts` on Workers); both read the parameters from the PHC string, so a hash made by
 * either, or by Appwrite itself, verifies on both.
 *
 * @module
 */
import { KitError } from '../errors.js';

/** Checks a password against a stored PHC hash string. */
export interface PasswordVerifier {
  /** `true` when `password` matches `phcHash`. Never throws for a wrong password or a malformed hash. */
  verify(phcHash: string, password: string): Promise<boolean>;
}

/**
 * A counting semaphore. argon2id at Appwrite's parameters holds 64 MiB per computation, so memory
 * is bounded by `limit`, not by the number of requests; waiting callers hold almost nothing.
 * With `maxQueue`, a burst beyond it is refused with 503 `server_busy` instead of queueing forever.
 *
 * @example
 * ```ts
 * const gate = new ConcurrencyLimit(2, 1000);
 * const ok = await gate.run(() => argon2.verify(hash, password));
 * ```
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly maxQueue = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  }

  /** How many tasks are running now. */
  get running(): number {
    return this.#running;
  }

  /** How many tasks wait for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` once a slot is free; rejects with `server_busy` when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      if (this.#waiting.length >= this.maxQueue) {
        throw new KitError('server_busy', 'Too many logins are in progress. Try again shortly.', { 'Retry-After': '1' });
      }
      // The slot is handed over by `release`, so `#running` never drops below the true count.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }
}

/**
 * Wraps a verifier so that at most `gate.limit` verifications run at once.
 *
 * @example
 * ```ts
 * const verifier = limitVerifier(nodeArgon2Verifier, new ConcurrencyLimit(2));
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
