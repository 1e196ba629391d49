// node-appwrite inside workerd, where wrangler.toml's alias gives it shared/runtime/json-bigint-shim.ts
// instead of json-bigint: every body of the contract (test/helpers/json-bigint-cases.ts, checked
// against the real json-bigint on Node) must come out as it does on Node. The body comes from a
// stubbed platform fetch, which the undici shim looks up per call.
import { Client } from 'node-appwrite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import JSONbig from '../../shared/runtime/json-bigint-shim.js';
import { jsonBigintCases } from '../helpers/json-bigint-cases.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('node-appwrite in workerd reads response bodies as on Node', () => {
  const client = new Client().setEndpoint('https://appwrite.test/v1');
  for (const one of jsonBigintCases) {
    it(one.name, async () => {
      vi.stubGlobal('fetch', async () => new Response(one.body, { headers: { 'content-type': 'application/json' } }));
      const call = client.call('get', new URL('https://appwrite.test/v1/x'));
      if ('refused' in one) await expect(call).rejects.toMatchObject({ name: 'SyntaxError' });
      else expect(await call).toEqual(one.parsed);
    });
  }
});

describe('json-bigint shim', () => {
  it('writes a bigint as its digits, as json-bigint with useNativeBigInt does', () => {
    expect(JSONbig({ useNativeBigInt: true }).stringify({ total: 9007199254740993n, name: 'a' })).toBe('{"total":9007199254740993,"name":"a"}');
  });

  it('refuses options node-appwrite 27 does not use, so an upgrade that needs more fails loudly', () => {
    expect(() => JSONbig({ useNativeBigInt: false })).toThrow(/does not implement/);
  });
});
