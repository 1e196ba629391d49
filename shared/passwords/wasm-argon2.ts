/**
 * argon2 verification where native addons cannot load (Cloudflare Workers), with libargon2 (the
 * PHC reference implementation) built for WebAssembly with SIMD, as `@phi-ag/argon2` ships it.
 *
 * workerd forbids compiling Wasm from bytes at runtime, so the caller hands over the compiled
 * `WebAssembly.Module`: on Workers from a `.wasm` import (`wasm-argon2-workerd.ts`), on Node
 * compiled from the same file (tests). This module itself imports no `.wasm`, so it runs on both.
 *
 * @module
 */
import { constantTimeEqual } from '../constant-time.js';
import { argon2Parameters, type Argon2Parameters, type PasswordVerifier } from './verifier.js';

/**
 * What this verifier calls in `@phi-ag/argon2`'s `argon2.wasm`: libargon2's C API and the allocator.
 * The package's own JavaScript wrapper is not used: it hands libargon2 a password's UTF-16 length
 * instead of its UTF-8 length in bytes, so a non-ASCII password would never match a hash made
 * elsewhere, and it compares keys inside Wasm rather than with the kit's constant-time compare.
 */
interface LibArgon2 {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(pointer: number): void;
  argon2_hash(
    timeCost: number,
    memoryKiB: number,
    parallelism: number,
    password: number,
    passwordLength: number,
    salt: number,
    saltLength: number,
    key: number,
    keyLength: number,
    encoded: number,
    encodedLength: number,
    type: number,
    version: number,
  ): number;
}

/** libargon2's `argon2_type` values, and the only version a PHC `v=19` string names. */
const libArgon2Type = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;
const ARGON2_VERSION_13 = 0x13;
const ARGON2_OK = 0;

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
  try {
    // atob takes base64 without its padding, and refuses a length no base64 has (4n + 1).
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Derives the key for `parsed`'s salt and costs inside the Wasm instance, or `null` when libargon2
 * refuses (a salt under 8 bytes, m < 8p, no memory left for the blocks). What it copied in or out
 * is zeroed before it is freed: the instance outlives the request.
 */
function deriveKey(lib: LibArgon2, parsed: ParsedHash, password: Uint8Array): Uint8Array | null {
  const placed: { at: number; length: number }[] = [];
  const place = (bytes: Uint8Array): number => {
    const at = lib.malloc(Math.max(1, bytes.length));
    // Stryker disable next-line StringLiteral: verify catches it and answers false; the message is for a debugger only
    if (at === 0) throw new RangeError('The Wasm heap is full.');
    placed.push({ at, length: bytes.length });
    new Uint8Array(lib.memory.buffer).set(bytes, at);
    return at;
  };
  try {
    const [passwordAt, saltAt, keyAt] = [place(password), place(parsed.salt), place(new Uint8Array(parsed.key.length))];
    const status = lib.argon2_hash(
      parsed.timeCost,
      parsed.memoryKiB,
      parsed.parallelism,
      passwordAt,
      password.length,
      saltAt,
      parsed.salt.length,
      keyAt,
      parsed.key.length,
      0, // no encoded string: the key alone is compared, here in JavaScript
      0,
      libArgon2Type[parsed.variant],
      ARGON2_VERSION_13,
    );
    // A fresh view: the hash grows the memory, which detaches the buffer seen before.
    return status === ARGON2_OK ? new Uint8Array(lib.memory.buffer).slice(keyAt, keyAt + parsed.key.length) : null;
  } finally {
    for (const { at, length } of placed) {
      new Uint8Array(lib.memory.buffer).fill(0, at, at + length);
      lib.free(at);
    }
  }
}

/** The key comparison (re-exported: tests and callers import it from here too). */
export { constantTimeEqual };

/**
 * Creates a verifier over `@phi-ag/argon2`'s compiled `argon2.wasm`. It reads the parameters from
 * the PHC string, so it verifies hashes made by `@node-rs/argon2` and by Appwrite (PHP
 * `password_hash`) alike, and derives the key itself to compare it with {@link constantTimeEqual}.
 *
 * One instance serves every verification: it holds `m` KiB of Wasm memory from the first one on
 * (libargon2 wipes it after each), and blocks the isolate while it runs, so callers wrap it in
 * `limitVerifier`. An instance that trapped is dropped and the next verification starts afresh.
 *
 * @example
 * ```ts
 * import argon2Wasm from '@phi-ag/argon2/argon2.wasm';
 * const verifier = createWasmArgon2Verifier(argon2Wasm);
 * await verifier.verify('$argon2id$v=19$m=65536,t=4,p=3$...', 'correct horse');
 * ```
 */
export function createWasmArgon2Verifier(argon2Wasm: WebAssembly.Module): PasswordVerifier {
  let lib: LibArgon2 | undefined;
  return {
    async verify(phcHash, password) {
      const parsed = parsePhc(phcHash);
      if (parsed === null) return false;
      try {
        if (!lib) {
          lib = new WebAssembly.Instance(argon2Wasm, {}).exports as unknown as LibArgon2;
          lib._initialize();
        }
        const derived = deriveKey(lib, parsed, new TextEncoder().encode(password));
        return derived !== null && constantTimeEqual(derived, parsed.key);
      } catch {
        // A trap (out of memory mid-hash) leaves the instance's heap in an unknown state.
        lib = undefined;
        return false;
      }
    },
  };
}
