/**
 * Request parameters for the embedded Appwrite double: reading them from the query string or a
 * JSON body, and Appwrite's validators (utopia-php `CustomId`, `UID`, `Range`, `Text`, `Email`,
 * `Phone`, `Password`, ...) with their wording, so a bad argument fails as it would in Appwrite:
 * 400 `general_argument_invalid`, ``Invalid `name` param: ...``.
 *
 * @module
 */
import type { Context } from 'hono';
import { AppwriteError, invalidParam } from './errors.js';

/** Raw parameters: strings from a query string, any JSON value from a body. */
export type Params = Record<string, unknown>;

/**
 * Reads a request's parameters. GET and DELETE carry them in the query string, where
 * `queries[0]=...&queries[1]=...` (node-appwrite) and `queries[]=...` both become arrays; other
 * methods in a JSON or form body.
 *
 * @example
 * ```ts
 * const params = await readParams(c); // { queries: ['{"method":"limit","values":[1]}'] }
 * ```
 */
export async function readParams(c: Context): Promise<Params> {
  if (c.req.method === 'GET' || c.req.method === 'DELETE') return queryParams(new URL(c.req.url).searchParams);
  const contentType = c.req.header('content-type') ?? '';
  if (/^application\/json/i.test(contentType)) {
    const text = await c.req.text();
    if (text.trim() === '') return {};
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Params;
    } catch {
      // Fall through: a body that is not a JSON object is Appwrite's generic bad argument.
    }
    throw new AppwriteError('general_argument_invalid', 'Invalid JSON body.');
  }
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(contentType)) {
    return (await c.req.parseBody({ all: true })) as Params;
  }
  return {};
}

function queryParams(search: URLSearchParams): Params {
  const params: Params = {};
  for (const [rawKey, value] of search) {
    const arrayKey = /^(.+)\[\d*\]$/.exec(rawKey)?.[1];
    if (arrayKey === undefined) {
      params[rawKey] = value;
      continue;
    }
    const existing = params[arrayKey];
    params[arrayKey] = Array.isArray(existing) ? [...existing, value] : [value];
  }
  return params;
}

/**
 * A required parameter, or Appwrite's 400 ``Param "name" is not optional.``
 *
 * @example
 * ```ts
 * const userId = required(params, 'userId');
 * ```
 */
export function required(params: Params, name: string): unknown {
  const value = params[name];
  if (value === undefined || value === null) {
    throw new AppwriteError('general_argument_invalid', `Param "${name}" is not optional.`);
  }
  return value;
}

const keyDescription =
  "Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can't start with a special char";

/** utopia-php/database `Key` rules on SQL adapters: `[A-Za-z0-9._-]`, no leading `_ . -`, ≤ 36. */
function isKey(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/.test(value);
}

/**
 * An ID Appwrite lets the caller choose (`CustomId`): Key rules, or the literal `unique()`.
 *
 * @example
 * ```ts
 * customId('unique()', 'userId'); // 'unique()'
 * customId('_bad', 'userId');     // throws 400 general_argument_invalid
 * ```
 */
export function customId(value: unknown, name: string): string {
  if (value === 'unique()' || isKey(value)) return value;
  throw invalidParam(name, keyDescription);
}

/**
 * An existing resource's ID (`UID`): Key rules only.
 *
 * @example
 * ```ts
 * uid(c.req.param('userId'), 'userId');
 * ```
 */
export function uid(value: unknown, name: string): string {
  if (isKey(value)) return value;
  throw invalidParam(name, keyDescription);
}

/**
 * An integer within bounds (`Range`), e.g. a token's `length` or `expire`.
 *
 * @example
 * ```ts
 * range(params.length ?? 6, 'length', 4, 128);
 * ```
 */
export function range(value: unknown, name: string, min: number, max: number): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= min && number <= max) return number;
  throw invalidParam(name, `Value must be a valid range between ${thousands(min)} and ${thousands(max)}`);
}

/** PHP's `number_format`, which Appwrite's range message uses. */
function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A string of at most `max` characters (`Text`).
 *
 * @example
 * ```ts
 * text(params.name ?? '', 'name', 128);
 * ```
 */
export function text(value: unknown, name: string, max: number): string {
  if (typeof value === 'string' && [...value].length <= max) return value;
  throw invalidParam(name, `Value must be a valid string and no longer than ${max} chars`);
}

/**
 * An email address, lower-cased as Appwrite stores it.
 *
 * @example
 * ```ts
 * email('Alice@Example.com', 'email'); // 'alice@example.com'
 * ```
 */
export function email(value: unknown, name: string): string {
  if (typeof value === 'string' && value.length <= 255 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
    return value.toLowerCase();
  }
  throw invalidParam(name, 'Value must be a valid email address');
}

/**
 * A phone number in E.164: a leading `+`, a non-zero first digit, at most 15 digits.
 *
 * @example
 * ```ts
 * phone('+14155550100', 'phone');
 * ```
 */
export function phone(value: unknown, name: string): string {
  if (typeof value === 'string' && /^\+[1-9]\d{6,14}$/.test(value)) return value;
  throw invalidParam(name, "Phone number must start with a '+' can have a maximum of fifteen digits.");
}

/**
 * A plaintext password of 8 to 256 bytes of UTF-8: Appwrite's `Password` validator counts with PHP's
 * `strlen`, so 100 CJK characters (300 bytes) are too long for it.
 *
 * @example
 * ```ts
 * password('correct horse battery', 'password');
 * ```
 */
export function password(value: unknown, name: string): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value).byteLength : 0;
  if (typeof value === 'string' && bytes >= 8 && bytes <= 256) return value;
  throw invalidParam(name, 'Password must be between 8 and 256 characters long.');
}

/**
 * A boolean; query strings and forms may send `true`/`false` as text.
 *
 * @example
 * ```ts
 * bool(params.status, 'status');
 * ```
 */
export function bool(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidParam(name, 'Value must be a valid boolean');
}

/**
 * User labels: up to 1000 alphanumeric strings of at most 36 characters, de-duplicated.
 *
 * @example
 * ```ts
 * labels(['admin', 'vip'], 'labels');
 * ```
 */
export function labels(value: unknown, name: string): string[] {
  if (Array.isArray(value) && value.length <= 1000 && value.every((label) => typeof label === 'string' && /^[A-Za-z0-9]{1,36}$/.test(label))) {
    return [...new Set(value as string[])];
  }
  throw invalidParam(
    name,
    'Value must a valid array no longer than 1000 items and Value must be a valid string and at least 1 chars and no longer than 36 chars and only contain alphanumeric chars',
  );
}

/**
 * A JSON object of at most 64 kB (Appwrite's `Assoc`), e.g. user preferences.
 *
 * @example
 * ```ts
 * assoc({ theme: 'dark' }, 'prefs');
 * ```
 */
export function assoc(value: unknown, name: string): Record<string, unknown> {
  const parsed: unknown = typeof value === 'string' ? safeJson(value) : value;
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && JSON.stringify(parsed).length <= 65_535) {
    return parsed as Record<string, unknown>;
  }
  throw invalidParam(name, 'Value must be a valid object and no longer than 65535 chars');
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
