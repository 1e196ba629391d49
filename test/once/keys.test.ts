import { describe, expect, it } from 'vitest';
import { KitError } from '../../shared/errors.js';
import { sha256Hex } from '../../shared/hash.js';
import { onceKey, onceKeySchema, onceStoreUnavailable } from '../../shared/once/store.js';

describe('onceKey', () => {
  it('keeps the scope in clear and stores only 128 bits of the value hash', async () => {
    const value = 'eyJhbGciOi.secret-token.value';
    const key = await onceKey('oidc.jti', value);
    expect(key).toBe(`once:oidc.jti:${(await sha256Hex(value)).slice(0, 32)}`);
    expect(key).toMatch(/^once:oidc\.jti:[0-9a-f]{32}$/);
    expect(key).not.toContain('secret');
    expect(onceKeySchema.safeParse(key).success).toBe(true);
  });

  it('separates scopes and values', async () => {
    const keys = await Promise.all([onceKey('oidc.jti', 'a'), onceKey('oidc.jti', 'b'), onceKey('captcha', 'a')]);
    expect(new Set(keys).size).toBe(3);
  });

  it('refuses scopes that are not short names, and empty values', async () => {
    for (const scope of ['', 'has space', 'a:b', '.lead', 'x'.repeat(65)]) {
      await expect(onceKey(scope, 'v'), JSON.stringify(scope)).rejects.toThrow(TypeError);
    }
    await expect(onceKey('oidc.jti', '')).rejects.toThrow(TypeError);
  });
});

describe('onceStoreUnavailable', () => {
  it('is a 503 whose message names nothing internal', () => {
    const error = onceStoreUnavailable();
    expect(error).toBeInstanceOf(KitError);
    expect(error.toJSON()).toEqual({ type: 'once_store_unavailable', code: 503, message: 'The replay guard is unavailable. Try again later.' });
  });
});
