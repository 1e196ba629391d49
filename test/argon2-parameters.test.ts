/**
 * shared/passwords/verifier.ts `argon2Parameters`: which stored hashes the kit will run argon2 on.
 * Memory stops at Appwrite's own 64 MiB, so the concurrency limit bounds memory; time cost and
 * parallelism stop at 16, and parallelism starts at 1.
 */
import { describe, expect, it } from 'vitest';
import { ARGON2_LIMITS, argon2Parameters } from '../shared/passwords/verifier.js';

const hash = (m: number, t: number, p: number) => `$argon2id$v=19$m=${m},t=${t},p=${p}$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo`;

describe('argon2 hash parameter ceilings', () => {
  it('accepts memory up to 65536 KiB (Appwrite’s own) and refuses 65537', () => {
    expect(ARGON2_LIMITS.maxMemoryKiB).toBe(65_536);
    expect(argon2Parameters(hash(65_536, 4, 3))).toEqual({ variant: 'argon2id', memoryKiB: 65_536, timeCost: 4, parallelism: 3 });
    expect(argon2Parameters(hash(65_537, 4, 3))).toBeNull();
  });

  it('accepts a time cost of 10 to 16 and refuses 17', () => {
    for (let t = 10; t <= 16; t++) expect(argon2Parameters(hash(2048, t, 1))?.timeCost, `t=${t}`).toBe(t);
    expect(argon2Parameters(hash(2048, 17, 1))).toBeNull();
  });

  it('accepts a parallelism of 10 to 16 and refuses 17 and 0', () => {
    for (let p = 10; p <= 16; p++) expect(argon2Parameters(hash(2048, 1, p))?.parallelism, `p=${p}`).toBe(p);
    expect(argon2Parameters(hash(2048, 1, 17))).toBeNull();
    expect(argon2Parameters(hash(2048, 1, 0))).toBeNull();
    expect(argon2Parameters(hash(2048, 1, 1))?.parallelism).toBe(1);
  });
});
