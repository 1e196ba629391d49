/**
 * Password hashing as Appwrite does it for plaintext passwords: argon2id, by default with
 * `utopia-php/auth`'s costs (memory 65536 KiB, time 4, threads 3), stored as a PHC string with
 * `hash: 'argon2'` and `hashOptions` describing the costs.
 *
 * @module
 */
import { hash } from '@node-rs/argon2';
import type { PasswordHashOptions } from './context.js';
import type { Argon2HashOptions } from './store.js';

/** Appwrite's argon2 costs for plaintext passwords. */
export const appwritePasswordHashOptions: PasswordHashOptions = { memoryCost: 65536, timeCost: 4, parallelism: 3 };

/**
 * Hashes a plaintext password to a PHC string such as `$argon2id$v=19$m=65536,t=4,p=3$...`.
 * `@node-rs/argon2` defaults to argon2id and v=19 with a 16-byte salt and 32-byte output,
 * the same as PHP's `password_hash(..., PASSWORD_ARGON2ID)`; it runs off the main thread.
 *
 * @example
 * ```ts
 * const phc = await hashPassword('correct horse battery', appwritePasswordHashOptions);
 * ```
 */
export async function hashPassword(plaintext: string, options: PasswordHashOptions): Promise<string> {
  return hash(plaintext, {
    memoryCost: options.memoryCost,
    timeCost: options.timeCost,
    parallelism: options.parallelism,
  });
}

/**
 * The `hashOptions` Appwrite reports for argon2 users, in PHP's option names (`threads` is its
 * name for parallelism).
 *
 * @example
 * ```ts
 * argon2HashOptions(appwritePasswordHashOptions); // { type: 'argon2', memory_cost: 65536, time_cost: 4, threads: 3 }
 * ```
 */
export function argon2HashOptions(options: PasswordHashOptions): Argon2HashOptions {
  return { type: 'argon2', memory_cost: options.memoryCost, time_cost: options.timeCost, threads: options.parallelism };
}
