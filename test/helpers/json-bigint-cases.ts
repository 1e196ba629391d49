/**
 * What node-appwrite 27 makes of a JSON response body, case by case: the contract the Worker's
 * json-bigint shim must keep. test/runtime/json-bigint-shim.test.ts checks the table against the real
 * node-appwrite and json-bigint on Node; test/workers/json-bigint-shim.test.ts checks node-appwrite
 * in workerd, where wrangler.toml's alias hands it the shim. No Node import: both runtimes load it.
 *
 * @example
 * ```ts
 * for (const { body, parsed } of jsonBigintCases) expect(await client.call('get', url(body))).toEqual(parsed);
 * ```
 *
 * @module
 */

/** A body and the value node-appwrite returns for it, or `refused` when it rejects the body. */
export type JsonBigintCase = { name: string; body: string; parsed: unknown } | { name: string; body: string; refused: true };

export const jsonBigintCases: readonly JsonBigintCase[] = [
  { name: 'small numbers stay numbers', body: '{"total":2,"ratio":0.5,"negative":-7,"zero":0}', parsed: { total: 2, ratio: 0.5, negative: -7, zero: 0 } },
  { name: 'the largest safe integer stays a number', body: '{"n":9007199254740991}', parsed: { n: 9007199254740991 } },
  { name: 'an integer beyond 2^53 becomes a bigint', body: '{"n":9007199254740993}', parsed: { n: 9007199254740993n } },
  { name: 'the int64 bounds become bigints', body: '[9223372036854775807,-9223372036854775808]', parsed: [9223372036854775807n, -9223372036854775808n] },
  { name: 'beyond int64 is a number again', body: '{"n":9223372036854775808}', parsed: { n: 9223372036854775808 } },
  { name: 'a short exponent literal stays a number', body: '{"n":1.5e17}', parsed: { n: 1.5e17 } },
  { name: 'a long integer-valued exponent literal is a bigint', body: '{"n":1.50000000000000e17}', parsed: { n: 150000000000000000n } },
  { name: 'a negative exponent can still denote an integer', body: '{"n":90071992547409930e-1}', parsed: { n: 9007199254740993n } },
  { name: 'a long fraction is a number', body: '{"n":12345678.123456789}', parsed: { n: 12345678.123456789 } },
  { name: 'nested values are revived too', body: '{"rows":[{"hits":12345678901234567,"key":"a"}]}', parsed: { rows: [{ hits: 12345678901234567n, key: 'a' }] } },
  { name: 'strings and literals pass through', body: '{"s":"12345678901234567","t":true,"f":false,"z":null}', parsed: { s: '12345678901234567', t: true, f: false, z: null } },
  { name: 'a __proto__ key is refused', body: '{"prefs":{"__proto__":{"admin":true}}}', refused: true },
  { name: 'a key containing constructor is refused', body: '{"prefs":{"myconstructor":1}}', refused: true },
  { name: 'a number too large to be finite is refused', body: '{"n":1e400}', refused: true },
];
