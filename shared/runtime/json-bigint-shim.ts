/**
 * Stands in for `json-bigint` in the Worker bundle (`[alias]` in `wrangler.toml`), as
 * `undici-shim.ts` does for undici.
 *
 * node-appwrite 27 reads every response with `json-bigint` so that an integer Appwrite sends beyond
 * 2^53 keeps its exact value: json-bigint parses any number literal longer than 15 characters into a
 * `bignumber.js` object, and node-appwrite's reviver turns that into a `number` when it is a safe
 * integer, a `bigint` when it fits in 64 bits, a `number` otherwise. The two packages weigh ~25 KB
 * minified (~10 KiB of the Worker's gzip). workerd's `JSON.parse` hands a reviver each number's
 * source text and `JSON.rawJSON` writes one back, so this module gives the same values from the
 * platform's own parser.
 *
 * It also refuses what json-bigint refuses by default (a key containing `__proto__` or
 * `constructor`, a number too large to be finite), so a response node-appwrite rejects on Node is
 * rejected on Workers too. Only the two configurations node-appwrite 27 uses are accepted; any other
 * fails at load, so a node-appwrite upgrade that asks for something else cannot go unnoticed.
 *
 * @module
 */

/** The subset of json-bigint's options node-appwrite 27 passes (`client.mjs`). */
interface JsonBigintOptions {
  storeAsString?: boolean;
  useNativeBigInt?: boolean;
}

type Reviver = (this: unknown, key: string, value: unknown) => unknown;

/** What a reviver receives as its third argument where the platform supports source text access. */
interface ReviverContext {
  source?: string;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);
const NUMBER_LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** `JSON.rawJSON` (ES2026, in workerd): TypeScript's lib does not know it yet. */
const platformJson = JSON as JSON & { rawJSON(text: string): unknown };

/**
 * The exact integer a JSON number literal denotes, when node-appwrite would hand it over as a
 * `bigint`: written with more than 15 characters (json-bigint's threshold), an integer (`1.0e17`
 * is one too), beyond 2^53 and within 64 bits. `undefined` for every other literal, whose `number`
 * from `JSON.parse` is what node-appwrite gives.
 */
function int64Beyond2To53(source: string): bigint | undefined {
  if (source.length <= 15) return undefined;
  const match = NUMBER_LITERAL.exec(source);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  let scale = Number(exponent) - fraction.length;
  while (scale < 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale += 1;
  }
  // A fraction, zero, or 20 digits and more (beyond 64 bits): a `number` either way.
  if (digits === '' || scale < 0 || digits.length + scale > 19) return undefined;
  const magnitude = BigInt(digits) * 10n ** BigInt(scale);
  const value = sign === '-' ? -magnitude : magnitude;
  const safe = value <= MAX_SAFE && value >= -MAX_SAFE;
  return !safe && value <= MAX_INT64 && value >= MIN_INT64 ? value : undefined;
}

function parse(text: string, reviver?: Reviver): unknown {
  return JSON.parse(text, function (this: unknown, key: string, value: unknown, context?: ReviverContext) {
    if (key.includes('__proto__')) throw new SyntaxError('Object contains forbidden prototype property');
    if (key.includes('constructor')) throw new SyntaxError('Object contains forbidden constructor property');
    let revived = value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new SyntaxError('Bad number');
      if (context?.source === undefined) throw new Error('JSON.parse gives no source text here: the json-bigint shim needs workerd');
      revived = int64Beyond2To53(context.source) ?? value;
    }
    return reviver ? reviver.call(this, key, revived) : revived;
  } as Reviver);
}

/** `JSON.stringify`, with a `bigint` written as its digits (json-bigint's `useNativeBigInt`). */
function stringify(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? platformJson.rawJSON(item.toString()) : item));
}

/**
 * json-bigint's factory, for the two ways node-appwrite 27 calls it.
 *
 * @example
 * ```ts
 * const { parse } = JSONbig({ storeAsString: false });
 * parse('{"size":12345678901234567}'); // { size: 12345678901234567n }
 * JSONbig({ useNativeBigInt: true }).stringify({ size: 1n }); // '{"size":1}'
 * ```
 */
export default function JSONbig(options: JsonBigintOptions = {}): { parse: typeof parse; stringify: typeof stringify } {
  const asked = JSON.stringify(options);
  if (asked !== '{"storeAsString":false}' && asked !== '{"useNativeBigInt":true}') {
    throw new Error(`json-bigint shim: node-appwrite asked for options it does not implement: ${asked}`);
  }
  return { parse, stringify };
}
