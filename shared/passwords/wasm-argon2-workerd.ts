/**
 * The Wasm argon2 verifier with its modules imported the only way workerd allows: as `.wasm`
 * module imports, which wrangler (and the vitest plugin) turn into precompiled
 * `WebAssembly.Module`s. Import this only from code bundled for Workers; Node cannot load it.
 *
 * @module
 */
import argon2WASM from 'argon2-wasm-edge/wasm/argon2.wasm';
import blake2bWASM from 'argon2-wasm-edge/wasm/blake2b.wasm';
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
export const workerdArgon2Verifier = createWasmArgon2Verifier({ argon2WASM, blake2bWASM });

/** The name every runtime's argon2 module exports, so `#argon2` resolves to either (see package.json `imports`). */
export { workerdArgon2Verifier as argon2Verifier };
