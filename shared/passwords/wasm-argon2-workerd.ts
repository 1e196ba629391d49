/**
 * The Wasm argon2 verifier with its module imported the only way workerd allows: as a `.wasm`
 * module import, which wrangler (and the vitest plugin) turn into a precompiled
 * `WebAssembly.Module`. Import this only from code bundled for Workers; Node cannot load it.
 *
 * @module
 */
import argon2Wasm from '@phi-ag/argon2/argon2.wasm';
import { createWasmArgon2Verifier } from './wasm-argon2.js';

/**
 * Verifies PHC argon2 hashes inside workerd. Unbounded: wrap it in `limitVerifier`.
 *
 * @example
 * ```ts
 * const verifier = limitVerifier(workerdArgon2Verifier, new ConcurrencyLimit(1, { maxQueue: 16, maxWaitMs: 2000 }));
 * await verifier.verify('$argon2id$v=19$m=65536,t=4,p=3$...', 'correct horse');
 * ```
 */
export const workerdArgon2Verifier = createWasmArgon2Verifier(argon2Wasm);

/** The name every runtime's argon2 module exports, so `#argon2` resolves to either (see package.json `imports`). */
export { workerdArgon2Verifier as argon2Verifier };
