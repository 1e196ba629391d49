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
import { constantTimeEqual } from '../constant-time.js';
import { argon2Parameters, type Argon2Parameters, type PasswordVerifier } from './verifier.js';

/** The two precompiled modules `argon2-wasm-edge` needs. */
export interface Argon2WasmModules {
  argon2WASM: WebAssembly.Module;
  blake2bWASM: WebAssembly.Module;
}

const derive = { argon2id, argon2i, argon2d } as const;

/** The salt and derived key of a PHC argon2 string: `...$<salt>$<hash>`, unpadded standard base64. */
const saltAndKey = /\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;

interface ParsedHash extends Argon2Parameters {
  salt: Uint8Array;
  key: Uint8Array;
}

/**
 * Reads a PHC argon2 string, or `null` when it is not one this verifier accepts. The cost caps
 * (`ARGON2_LIMITS`) matter most here: the Worker isolate has 128 MB shared by every request in
 * flight, and an out-of-memory kills all of them, not just the login that asked for too much.
 */
function parsePhc(phcHash: string): ParsedHash | null {
  const parameters = argon2Parameters(phcHash);
  const match = saltAndKey.exec(phcHash);
  if (parameters === null || !match) return null;
  const salt = decodeBase64(match[1]!);
  const key = decodeBase64(match[2]!);
  if (salt === null || key === null) return null;
  return { ...parameters, salt, key };
}

function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(text + '='.repeat((4 - (text.length % 4)) % 4)), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The key comparison (re-exported: tests and callers import it from here too). */
export { constantTimeEqual };

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
export function createWasmArgon2Verifier(modules: Argon2WasmModules): PasswordVerifier {
  // The library keeps modules in one module-level cache; with them in place it never compiles bytes.
  void setWASMModules(modules);
  return {
    async verify(phcHash, password) {
      const parsed = parsePhc(phcHash);
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
