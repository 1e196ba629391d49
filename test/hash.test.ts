import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../shared/hash.js';

// FIPS 180-2 vectors.
const vectors: Array<[string, string]> = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
];

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('sha256Hex', () => {
  it("hashes in place with Node's crypto on Node, not through Web Crypto's thread pool", async () => {
    const digest = vi.spyOn(crypto.subtle, 'digest');
    for (const [text, expected] of vectors) expect(await sha256Hex(text)).toBe(expected);
    expect(digest).not.toHaveBeenCalled();
  });

  it('gives the same digests with Web Crypto, where there is no node:crypto (Workers without it)', async () => {
    vi.stubGlobal('process', { ...process, getBuiltinModule: undefined });
    const digest = vi.spyOn(crypto.subtle, 'digest');
    const { sha256Hex: webCryptoSha256Hex } = await import('../shared/hash.js');
    // Text that is not ASCII too: both hash its UTF-8 bytes.
    for (const text of [...vectors.map(([text]) => text), 'Ünïcödé ✓']) expect(await webCryptoSha256Hex(text)).toBe(await sha256Hex(text));
    expect(digest).toHaveBeenCalledTimes(vectors.length + 1);
  });
});
