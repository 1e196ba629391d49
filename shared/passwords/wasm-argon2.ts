/**
 * argon2 verification where native addons cannot load (Cloudflare Workers), with
 * `argon2-wasm-edge`, a WebAssembly build of argon2 that accepts precompiled modules.
 *
 * workerd forbids compiling Wasm from bytes at runtime, so the caller hands over the two
 * `WebAssembly.Module`s: on Workers from `.wasm` imports (`wasm-argon2-workerd.ts`), on Node
 * compiled from the same files (tests). This module itself imports no `.wasm`, so it runs on both.
 *
 * @module
 */
import { argon2d, argon2i, argon2id, setWASMModules } from 'argon2-wasm-edge';
import type { PasswordVerifier } from './verifier.js';

/** The two precompiled modules `argon2-wasm-edge` needs. */
export interface Argon2WasmModules {
  argon2WASM: WebAssembly.Module;
  blake2bWASM: WebAssembly.Module;
}

/**
 * Upper bounds on the parameters read from a hash. A hash beyond them verifies as `false`
 * instead of being computed: the Worker isolate has 128 MB shared by every request in flight,
 * and an out-of-memory kills all of them, not just the login that asked for too much.
 */
export interface Argon2Limits {
  /** Largest `m` in KiB. Default 65536 (64 MiB): Appwrite's own default, the largest it writes. */
  maxMemoryKiB: number;
  /** Largest `t`. Default 16. */
  maxTimeCost: number;
  /** Largest `p`. Default 16. */
  maxParallelism: number;
}

const defaultLimits: Argon2Limits = { maxMemoryKiB: 65_536, maxTimeCost: 16, maxParallelism: 16 };

const derive = { argon2id, argon2i, argon2d } as const;

/** A PHC argon2 string: `$argon2id$v=19$m=65536,t=4,p=3$<salt>$<hash>`, unpadded standard base64. */
const phcPattern = /^\$(argon2id|argon2i|argon2d)\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;

interface ParsedHash {
  variant: keyof typeof derive;
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
  salt: Uint8Array;
  key: Uint8Array;
}

/** Reads a PHC argon2 string, or `null` when it is not one this verifier accepts. */
function parsePhc(phcHash: string, limits: Argon2Limits): ParsedHash | null {
  const match = phcPattern.exec(phcHash);
  if (!match) return null;
  const [, variant, m, t, p, saltText, keyText] = match;
  const memoryKiB = Number(m);
  const timeCost = Number(t);
  const parallelism = Number(p);
  if (memoryKiB > limits.maxMemoryKiB || timeCost > limits.maxTimeCost) return null;
  if (parallelism < 1 || parallelism > limits.maxParallelism) return null;
  const salt = decodeBase64(saltText!);
  const key = decodeBase64(keyText!);
  if (salt === null || key === null) return null;
  return { variant: variant as ParsedHash['variant'], memoryKiB, timeCost, parallelism, salt, key };
}

/** Unpadded standard base64 to bytes, or `null` when the text is not valid base64. */
function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(text + '='.repeat((4 - (text.length % 4)) % 4)), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Compares two byte strings in time that depends only on their length (which the stored hash
 * already reveals), never on where they first differ.
 *
 * @example
 * ```ts
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])); // false
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * Creates a verifier over `argon2-wasm-edge`. It reads the parameters from the PHC string, so it
 * verifies hashes made by `@node-rs/argon2` and by Appwrite (PHP `password_hash`) alike.
 *
 * It derives the key itself and compares it with {@link constantTimeEqual}: the library's own
 * `argon2Verify` compares the encoded strings with `===`, which returns at the first difference.
 * One verification holds `m` KiB of Wasm memory and blocks the isolate while it runs, so callers
 * wrap it in `limitVerifier`.
 *
 * @example
 * ```ts
 * import argon2WASM from 'argon2-wasm-edge/wasm/argon2.wasm';
 * import blake2bWASM from 'argon2-wasm-edge/wasm/blake2b.wasm';
 * const verifier = createWasmArgon2Verifier({ argon2WASM, blake2bWASM });
 * await verifier.verify('$argon2id$v=19$m=65536,t=4,p=3$...', 'correct horse');
 * ```
 */
export function createWasmArgon2Verifier(modules: Argon2WasmModules, limits: Partial<Argon2Limits> = {}): PasswordVerifier {
  // The library keeps modules in one module-level cache; with them in place it never compiles bytes.
  void setWASMModules(modules);
  const bounds = { ...defaultLimits, ...limits };
  return {
    async verify(phcHash, password) {
      const parsed = parsePhc(phcHash, bounds);
      if (parsed === null) return false;
      try {
        const derived = await derive[parsed.variant]({
          password: new TextEncoder().encode(password),
          salt: parsed.salt,
          iterations: parsed.timeCost,
          parallelism: parsed.parallelism,
          memorySize: parsed.memoryKiB,
          hashLength: parsed.key.length,
          outputType: 'binary',
        });
        return constantTimeEqual(derived, parsed.key);
      } catch {
        // Parameters the library refuses (tiny salt, m < 8p, empty password) are a failed match, never a 500.
        return false;
      }
    },
  };
}
