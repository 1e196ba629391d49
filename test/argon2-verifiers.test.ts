/**
 * What both argon2 verifiers (`node-argon2.ts` for Node and Appwrite, `wasm-argon2.ts` for Workers)
 * answer for a hash they must not trust: false, whatever the password, and never a throw.
 */
import { hash as nodeHash } from '@node-rs/argon2';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeArgon2Verifier } from '../shared/passwords/node-argon2.js';
import type { PasswordVerifier } from '../shared/passwords/verifier.js';
import { createWasmArgon2Verifier } from '../shared/passwords/wasm-argon2.js';

const argon2Wasm = new WebAssembly.Module(readFileSync(new URL('../node_modules/@phi-ag/argon2/dist/argon2.wasm', import.meta.url)));
const verifiers: Array<[string, PasswordVerifier]> = [
  ['node', nodeArgon2Verifier],
  ['wasm', createWasmArgon2Verifier(argon2Wasm)],
];
const password = 'correct horse battery staple';

describe.each(verifiers)('%s argon2 verifier', (_name, verifier) => {
  it('refuses a hash whose costs are past the ceilings, even with its right password', async () => {
    const phc = await nodeHash(password, { memoryCost: 1024, timeCost: 16, parallelism: 1 });
    expect(await verifier.verify(phc, password)).toBe(true);
    // A genuine hash of the right password at t=17: the ceiling refuses it before any argon2 work.
    const past = await nodeHash(password, { memoryCost: 1024, timeCost: 17, parallelism: 1 });
    expect(await verifier.verify(past, password)).toBe(false);
  });

  it('answers false for a hash argon2 itself refuses (a salt under 8 bytes), never true', async () => {
    await expect(verifier.verify('$argon2id$v=19$m=2048,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA', password)).resolves.toBe(false);
  });

  it('answers false for a refused hash whose stored key is all zeros, what an unwritten output holds', async () => {
    const zeros = 'A'.repeat(43);
    // m=8 < 8p with p=3: libargon2 refuses before it writes any output.
    await expect(verifier.verify(`$argon2id$v=19$m=8,t=1,p=3$Z3dETTZKd3hWS2I2Sm9reQ$${zeros}`, password)).resolves.toBe(false);
  });
});

/**
 * A stand-in for libargon2 whose argon2_hash traps (WebAssembly `unreachable`), as an out-of-memory
 * mid-hash does: memory, _initialize, malloc (always address 1024), free, and argon2_hash.
 */
function trappingArgon2(): WebAssembly.Module {
  const bytes = (text: string) => [...new TextEncoder().encode(text)];
  const vector = (items: number[][]) => [items.length, ...items.flat()];
  const section = (id: number, content: number[]) => [id, content.length, ...content];
  const i32 = 0x7f;
  const exported = (name: string, kind: number, index: number) => [name.length, ...bytes(name), kind, index];
  const body = (...code: number[]) => [code.length + 1, 0, ...code];
  return new WebAssembly.Module(
    new Uint8Array([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, vector([[0x60, 0, 0], [0x60, 1, i32, 1, i32], [0x60, 1, i32, 0], [0x60, 13, ...Array<number>(13).fill(i32), 1, i32]])),
      ...section(3, vector([[0], [1], [2], [3]])),
      ...section(5, vector([[0x00, 1]])),
      ...section(7, vector([exported('memory', 2, 0), exported('_initialize', 0, 0), exported('malloc', 0, 1), exported('free', 0, 2), exported('argon2_hash', 0, 3)])),
      ...section(10, vector([body(0x0b), body(0x41, 0x80, 0x08, 0x0b), body(0x0b), body(0x00, 0x0b)])),
    ]),
  );
}

describe('wasm argon2 verifier when argon2 traps', () => {
  it('answers false, never true, and keeps answering', async () => {
    const verifier = createWasmArgon2Verifier(trappingArgon2());
    const phc = await nodeHash(password, { memoryCost: 2048, timeCost: 2, parallelism: 1 });
    await expect(verifier.verify(phc, password)).resolves.toBe(false);
    await expect(verifier.verify(phc, password)).resolves.toBe(false);
  });
});
