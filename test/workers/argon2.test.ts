// Cross-runtime hashes inside workerd: what @node-rs/argon2 (Node, Appwrite Functions) and PHP
// (Appwrite itself) wrote must verify with the Worker's Wasm verifier at their own parameters.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { workerdArgon2Verifier } from '../../shared/passwords/wasm-argon2-workerd.js';
import appwriteHashes from '../fixtures/appwrite-hashes.json' with { type: 'json' };

const NODE_RS_PASSWORD = 'correct horse battery staple';
let nodeRsHash: string;

// The double hashes plaintext passwords with @node-rs/argon2 at Appwrite's parameters and, like
// Appwrite, shows the hash to API-key callers: the same path a real login takes.
beforeAll(async () => {
  const response = await fetch(`${inject('appwriteEndpoint')}/users`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-appwrite-project': inject('appwriteProjectId'),
      'x-appwrite-key': inject('appwriteApiKey'),
    },
    body: JSON.stringify({ userId: 'hash-fixture', password: NODE_RS_PASSWORD }),
  });
  expect(response.status).toBe(201);
  nodeRsHash = ((await response.json()) as { password: string }).password;
});

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  console.log(`${label}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

describe('wasm argon2 verifier inside workerd', () => {
  it('runs where compiling Wasm from bytes is forbidden', () => {
    // The reason the verifier takes precompiled modules: this is what argon2 libraries normally do.
    const emptyModule = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(() => new WebAssembly.Module(emptyModule)).toThrow();
  });

  it('verifies an @node-rs/argon2 hash at Appwrite parameters', async () => {
    const phc = nodeRsHash;
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=65536,t=4,p=3\$/);
    expect(await timed('wasm verify (workerd) m=65536,t=4,p=3', () => workerdArgon2Verifier.verify(phc, NODE_RS_PASSWORD))).toBe(true);
    expect(await timed('wasm verify (workerd) wrong password', () => workerdArgon2Verifier.verify(phc, `${NODE_RS_PASSWORD}!`))).toBe(false);
  });

  it.each(appwriteHashes.hashes)('verifies the PHP/Appwrite fixture $label', async ({ label, hash, password }) => {
    expect(await timed(`wasm verify (workerd) PHP ${label}`, () => workerdArgon2Verifier.verify(hash, password))).toBe(true);
    expect(await workerdArgon2Verifier.verify(hash, appwriteHashes.wrongPassword)).toBe(false);
  });

  it('answers false for a malformed hash', async () => {
    expect(await workerdArgon2Verifier.verify('$argon2id$v=19$m=65536,t=4,p=3$broken', NODE_RS_PASSWORD)).toBe(false);
    expect(await workerdArgon2Verifier.verify('$2y$10$abcdefghijklmnopqrstuu', NODE_RS_PASSWORD)).toBe(false);
  });
});
