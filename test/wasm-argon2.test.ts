// The Workers argon2 verifier, run in Node with modules compiled from the same .wasm files the
// Worker imports: its hashes must verify with @node-rs/argon2 (Node, Appwrite Functions) and back.
import { readFileSync } from 'node:fs';
import { hash as nodeHash, verify as nodeVerify } from '@node-rs/argon2';
import Argon2 from '@phi-ag/argon2';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeArgon2Verifier } from '../shared/passwords/node-argon2.js';
import { constantTimeEqual, createWasmArgon2Verifier } from '../shared/passwords/wasm-argon2.js';
import appwriteHashes from './fixtures/appwrite-hashes.json' with { type: 'json' };

const argon2Wasm = new WebAssembly.Module(readFileSync(new URL('../node_modules/@phi-ag/argon2/dist/argon2.wasm', import.meta.url)));
const wasmVerifier = createWasmArgon2Verifier(argon2Wasm);

const password = 'correct horse battery staple';
const appwriteParams = { memoryCost: 65_536, timeCost: 4, parallelism: 3 };
const owaspParams = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  console.log(`${label}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

describe('wasm argon2 verifier (Node)', () => {
  it.each([
    ['Appwrite m=65536,t=4,p=3', appwriteParams],
    ['OWASP m=19456,t=2,p=1', owaspParams],
  ])('verifies an @node-rs/argon2 hash at %s', async (label, params) => {
    const phc = await nodeHash(password, params);
    expect(await timed(`wasm verify (Node) ${label}`, () => wasmVerifier.verify(phc, password))).toBe(true);
    expect(await wasmVerifier.verify(phc, `${password}!`)).toBe(false);
  });

  it.each([
    ['argon2d', 0],
    ['argon2i', 1],
  ] as const)('verifies an @node-rs/argon2 %s hash', async (_name, algorithm) => {
    const phc = await nodeHash(password, { ...owaspParams, algorithm });
    expect(await wasmVerifier.verify(phc, password)).toBe(true);
    expect(await wasmVerifier.verify(phc, 'another password')).toBe(false);
  });

  it('verifies an @node-rs/argon2 hash of a non-ASCII password (UTF-8 bytes, not UTF-16 units)', async () => {
    const unicode = 'pässwörd Ω 测试 🔑';
    const phc = await nodeHash(unicode, appwriteParams);
    expect(await wasmVerifier.verify(phc, unicode)).toBe(true);
    expect(await wasmVerifier.verify(phc, unicode.normalize('NFD'))).toBe(false);
  });

  it('derives what @node-rs/argon2 derives: a hash libargon2 makes in the same Wasm verifies natively', async () => {
    // The package's own wrapper, for ASCII only (it passes the UTF-16 length; see wasm-argon2.ts).
    const libargon2 = new Argon2(new WebAssembly.Instance(argon2Wasm, {}));
    const { encoded } = libargon2.hash(password, {
      memoryCost: appwriteParams.memoryCost,
      timeCost: appwriteParams.timeCost,
      parallelism: appwriteParams.parallelism,
    });
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=65536,t=4,p=3\$/);
    expect(await nodeVerify(encoded, password)).toBe(true);
    expect(await nodeVerify(encoded, `${password}!`)).toBe(false);
    expect(await wasmVerifier.verify(encoded, password)).toBe(true);
  });

  it('keeps verifying after libargon2 refused a hash', async () => {
    const phc = await nodeHash(password, owaspParams);
    // m=16 < 8p: libargon2 refuses before it allocates anything.
    expect(await wasmVerifier.verify('$argon2id$v=19$m=16,t=1,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA', password)).toBe(false);
    expect(await wasmVerifier.verify(phc, password)).toBe(true);
  });

  it.each(appwriteHashes.hashes)('verifies the PHP/Appwrite fixture $label on both runtimes', async ({ hash, password: pw }) => {
    expect(await wasmVerifier.verify(hash, pw)).toBe(true);
    expect(await wasmVerifier.verify(hash, appwriteHashes.wrongPassword)).toBe(false);
    expect(await nodeArgon2Verifier.verify(hash, pw)).toBe(true);
    expect(await nodeArgon2Verifier.verify(hash, appwriteHashes.wrongPassword)).toBe(false);
  });

  it.each([
    '',
    'not a hash',
    '$2y$10$abcdefghijklmnopqrstuu5Yq5m3oQ3y9j8nD0yEM1bq3bqS/3Sxe', // bcrypt
    '$argon2id$v=19$m=65536,t=4,p=3$TkRNODdPRVJmVDBFa0lMVQ', // no key
    '$argon2id$v=16$m=2048,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA', // version
    '$argon2id$v=19$m=2048,t=0,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA', // t=0
    '$argon2id$v=19$m=8,t=1,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA', // m < 8p
    // m < 8p, and a key of zeros: what the key's slot holds when libargon2 refuses to fill it.
    '$argon2id$v=19$m=8,t=1,p=3$Z3dETTZKd3hWS2I2Sm9reQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    '$argon2id$v=19$m=2048,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbAxy', // impossible base64 length
    '$argon2id$v=19$m=4194304,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA', // 4 GiB
    '$argon2id$v=19$m=2048,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA\n',
  ])('answers false, never throws, for the malformed hash %j', async (phc) => {
    await expect(wasmVerifier.verify(phc, password)).resolves.toBe(false);
  });

  it('compares in constant time only what has equal length', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
  });
});

/** What the verifier's instances did, as JavaScript asked Wasm for it. */
interface WatchedInstance {
  memory: WebAssembly.Memory;
  /** Addresses `malloc` handed out (0: the heap was full), in order. */
  allocated: number[];
  freed: number[];
}

const realInstance = WebAssembly.Instance;
afterEach(() => {
  Object.defineProperty(WebAssembly, 'Instance', { value: realInstance, writable: true, configurable: true });
});

/**
 * Records every libargon2 instance made from here on, each with its memory and the blocks the
 * verifier allocated and freed. `fullHeapAt`: the `malloc` calls (1-based, over all instances) that
 * answer 0, as libargon2's allocator does when the heap cannot grow.
 */
function watchInstances(fullHeapAt: number[] = []): WatchedInstance[] {
  const made: WatchedInstance[] = [];
  let mallocs = 0;
  function Watched(module: WebAssembly.Module, imports?: WebAssembly.Imports) {
    const lib = new realInstance(module, imports).exports as { memory: WebAssembly.Memory; malloc(size: number): number; free(at: number): void };
    const watched: WatchedInstance = { memory: lib.memory, allocated: [], freed: [] };
    made.push(watched);
    const malloc = (size: number) => {
      const at = fullHeapAt.includes(++mallocs) ? 0 : lib.malloc(size);
      watched.allocated.push(at);
      return at;
    };
    const free = (at: number) => {
      watched.freed.push(at);
      lib.free(at);
    };
    return { exports: { ...lib, malloc, free } };
  }
  Object.defineProperty(WebAssembly, 'Instance', { value: Watched, writable: true, configurable: true });
  return made;
}

/** Whether `bytes` appear anywhere in a Wasm memory. */
const holds = (memory: WebAssembly.Memory, bytes: Uint8Array) => Buffer.from(memory.buffer).indexOf(Buffer.from(bytes)) !== -1;

describe('wasm argon2 verifier: its instance and heap', () => {
  const cheap = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

  it('makes one instance for every verification, kept after a wrong password and after libargon2 refused a hash', async () => {
    const phc = await nodeHash(password, cheap);
    const made = watchInstances();
    const verifier = createWasmArgon2Verifier(argon2Wasm);

    expect(await verifier.verify(phc, password)).toBe(true);
    expect(await verifier.verify(phc, 'wrong')).toBe(false);
    // m=16 < 8p: libargon2 answers an error, which is a failed match, not a broken instance.
    expect(await verifier.verify('$argon2id$v=19$m=16,t=1,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA', password)).toBe(false);
    expect(await verifier.verify(phc, password)).toBe(true);
    expect(made).toHaveLength(1);
  });

  it.each([
    ['costs over the caps', '$argon2id$v=19$m=4194304,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA'],
    ['a salt of an impossible base64 length (13)', '$argon2id$v=19$m=2048,t=4,p=3$Z3dETTZKd3hWS$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbA'],
    ['a key of an impossible base64 length (45)', '$argon2id$v=19$m=2048,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveqfFkrpa8T8jKK53MSXqWbadnWmprLlSF54TqkbAxy'],
    ['a key too short to be one', '$argon2id$v=19$m=2048,t=4,p=3$Z3dETTZKd3hWS2I2Sm9reQ$wgveq'],
    ['no argon2 at all', '$2y$10$abcdefghijklmnopqrstuu5Yq5m3oQ3y9j8nD0yEM1bq3bqS/3Sxe'],
  ])('refuses a hash with %s before making an instance: no memory is taken for it', async (_what, phc) => {
    const made = watchInstances();
    await expect(createWasmArgon2Verifier(argon2Wasm).verify(phc, password)).resolves.toBe(false);
    expect(made).toEqual([]);
  });

  it('leaves no copy of the password, salt or key in the Wasm heap, and frees every block it placed there', async () => {
    const canary = 'canary password 7f3c9e1a-zeroed';
    const phc = await nodeHash(canary, cheap);
    const [, salt, key] = /\$([^$]+)\$([^$]+)$/.exec(phc)!;
    const bytesOf = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const made = watchInstances();
    const verifier = createWasmArgon2Verifier(argon2Wasm);

    expect(await verifier.verify(phc, canary)).toBe(true);
    const [instance] = made;
    expect(holds(instance!.memory, new TextEncoder().encode(canary))).toBe(false);
    expect(holds(instance!.memory, bytesOf(salt!))).toBe(false);
    expect(holds(instance!.memory, bytesOf(key!))).toBe(false);
    expect(instance!.allocated).toHaveLength(3);
    expect([...instance!.freed].sort()).toEqual([...instance!.allocated].sort());
  });

  it('answers false when the heap is full, frees what it had placed, and starts the next verification on a fresh instance', async () => {
    const phc = await nodeHash(password, cheap);
    // The first verification gets the password's block, then none for the salt.
    const made = watchInstances([2]);
    const verifier = createWasmArgon2Verifier(argon2Wasm);

    expect(await verifier.verify(phc, password)).toBe(false);
    expect(made[0]!.allocated).toEqual([expect.any(Number), 0]);
    expect(made[0]!.freed).toEqual([made[0]!.allocated[0]]);
    expect(await verifier.verify(phc, password)).toBe(true);
    expect(made).toHaveLength(2);
  });
});
