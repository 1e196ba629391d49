/**
 * shared/constant-time.ts: the one comparison of presented secrets with expected ones. Equal means
 * every byte and the length agree; where the inputs differ never changes the answer.
 */
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, constantTimeEqualText } from '../shared/constant-time.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('constantTimeEqual', () => {
  it('is true for the same bytes, including none', () => {
    expect(constantTimeEqual(bytes(1, 2, 255), bytes(1, 2, 255))).toBe(true);
    expect(constantTimeEqual(bytes(), bytes())).toBe(true);
  });

  it('is false when any one byte differs: first, middle or last', () => {
    expect(constantTimeEqual(bytes(0, 2, 3), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 0, 3), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 128))).toBe(false);
  });

  it('is false when one is a prefix of the other, whichever comes first', () => {
    expect(constantTimeEqual(bytes(1, 2), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2))).toBe(false);
    expect(constantTimeEqual(bytes(), bytes(0))).toBe(false);
  });
});

describe('constantTimeEqualText', () => {
  it('is true only for the exact text', async () => {
    expect(await constantTimeEqualText('state-7f3a', 'state-7f3a')).toBe(true);
    expect(await constantTimeEqualText('', '')).toBe(true);
    expect(await constantTimeEqualText('state-7f3b', 'state-7f3a')).toBe(false);
    expect(await constantTimeEqualText('State-7f3a', 'state-7f3a')).toBe(false);
  });

  it('is false for a prefix, an extension or the empty string', async () => {
    expect(await constantTimeEqualText('state', 'state-7f3a')).toBe(false);
    expect(await constantTimeEqualText('state-7f3a-', 'state-7f3a')).toBe(false);
    expect(await constantTimeEqualText('', 'state-7f3a')).toBe(false);
  });
});
