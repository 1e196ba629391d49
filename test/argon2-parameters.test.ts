/**
 * shared/passwords/verifier.ts `argon2Parameters`: which stored hashes the kit will run argon2 on.
 * Memory stops at Appwrite's own 64 MiB, so the concurrency limit bounds memory; time cost and
 * parallelism stop at 16, and parallelism starts at 1.
 */
import { describe, expect, it } from 'vitest';
import { ARGON2_LIMITS, argon2Parameters, DUMMY_ARGON2ID_HASH, isCheaperThanDummy } from '../shared/passwords/verifier.js';

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

describe('which hash strings are argon2 at all', () => {
  it('reads the three argon2 variants of version 19', () => {
    for (const variant of ['argon2id', 'argon2i', 'argon2d'] as const) {
      expect(argon2Parameters(`$${variant}$v=19$m=2048,t=3,p=2$c2FsdA$aGFzaA`)).toEqual({ variant, memoryKiB: 2048, timeCost: 3, parallelism: 2 });
    }
  });

  it.each([
    ['bcrypt', '$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'],
    ['another argon2 version', '$argon2id$v=16$m=2048,t=3,p=2$c2FsdA$aGFzaA'],
    ['an unknown variant', '$argon2x$v=19$m=2048,t=3,p=2$c2FsdA$aGFzaA'],
    ['no salt', '$argon2id$v=19$m=2048,t=3,p=2$$aGFzaA'],
    ['no hash', '$argon2id$v=19$m=2048,t=3,p=2$c2FsdA$'],
    ['text before it', 'x$argon2id$v=19$m=2048,t=3,p=2$c2FsdA$aGFzaA'],
    ['text after it', '$argon2id$v=19$m=2048,t=3,p=2$c2FsdA$aGFzaA$'],
    ['a character outside base64', '$argon2id$v=19$m=2048,t=3,p=2$c2Fs-dA$aGFzaA'],
    ['parameters in another order', '$argon2id$v=19$t=3,m=2048,p=2$c2FsdA$aGFzaA'],
    ['a parameter that is not a number', '$argon2id$v=19$m=2k,t=3,p=2$c2FsdA$aGFzaA'],
    ['a memory cost of 11 digits', '$argon2id$v=19$m=00000002048,t=3,p=2$c2FsdA$aGFzaA'],
    ['an empty string', ''],
  ])('is null for %s', (_what, phc) => {
    expect(argon2Parameters(phc)).toBeNull();
  });
});

describe('isCheaperThanDummy', () => {
  const parameters = (memoryKiB: number, timeCost: number) => ({ variant: 'argon2id' as const, memoryKiB, timeCost, parallelism: 3 });

  it('compares memory × time with the dummy hash an unknown user is checked against (m=65536, t=4)', () => {
    expect(argon2Parameters(DUMMY_ARGON2ID_HASH)).toEqual({ variant: 'argon2id', memoryKiB: 65_536, timeCost: 4, parallelism: 3 });
    expect(isCheaperThanDummy(parameters(65_536, 4))).toBe(false);
    expect(isCheaperThanDummy(parameters(65_536, 3))).toBe(true);
    expect(isCheaperThanDummy(parameters(2048, 4))).toBe(true);
    expect(isCheaperThanDummy(parameters(32_768, 8))).toBe(false);
    expect(isCheaperThanDummy(parameters(32_768, 9))).toBe(false);
  });
});
