/**
 * argon2 verification on Node (the local server and Appwrite Functions) with `@node-rs/argon2`,
 * a prebuilt N-API addon that runs off the main thread.
 *
 * @module
 */
import type * as NodeArgon2 from '@node-rs/argon2';
import { argon2Parameters, type PasswordVerifier } from './verifier.js';

/**
 * The addon, loaded at the first verification rather than at import: an Appwrite function's cold
 * start pays for it only when a request verifies a password (importing it as an ES module, with
 * its libc detection, took 50-80 ms of the password bundle's import on a busy machine).
 */
let addon: Promise<typeof NodeArgon2> | undefined;
const loadAddon = () => (addon ??= import('@node-rs/argon2'));

/**
 * Verifies PHC argon2 hashes with `@node-rs/argon2`, reading the parameters from the hash; a hash
 * over `ARGON2_LIMITS` is refused unread. Its comparison of the derived key is constant-time.
 *
 * @example
 * ```ts
 * await nodeArgon2Verifier.verify('$argon2id$v=19$m=65536,t=4,p=3$...', 'correct horse');
 * ```
 */
export const nodeArgon2Verifier: PasswordVerifier = {
  async verify(phcHash, password) {
    if (argon2Parameters(phcHash) === null) return false;
    // Outside the try: an addon that fails to load is an outage (500), never a wrong password.
    const { verify } = await loadAddon();
    try {
      return await verify(phcHash, password);
    } catch {
      // A malformed hash is a failed match, never a crash or a 500.
      return false;
    }
  },
};

/** The name every runtime's argon2 module exports, so `#argon2` resolves to either (see package.json `imports`). */
export { nodeArgon2Verifier as argon2Verifier };
