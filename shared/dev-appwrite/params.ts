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

/**
 * A list of existing resources' IDs (`ArrayList(UID)`), such as a message's `users` or `targets`.
 * Duplicates are kept: Appwrite stores the list as given.
 *
 * @example
 * ```ts
 * uidList(params.users ?? [], 'users'); // ['alice', 'bob']
 * ```
 */
export function uidList(value: unknown, name: string): string[] {
  if (Array.isArray(value) && value.every(isKey)) return [...value];
  throw invalidParam(name, `Value must a valid array and ${keyDescription}`);
}

/**
 * A list of `bucketId:fileId` pairs (Appwrite's `ArrayList(CompoundUID)`), as email attachments
 * name their files. Only the shape is checked here; whether the files exist is the route's business.
 *
 * @example
 * ```ts
 * compoundIdList(['invoices:march'], 'attachments'); // [['invoices', 'march']]
 * ```
 */
export function compoundIdList(value: unknown, name: string): string[][] {
  const parts = Array.isArray(value) ? value.map((entry) => (typeof entry === 'string' ? entry.split(':') : [])) : undefined;
  if (parts?.every((ids) => ids.length >= 2 && ids.every(isKey))) return parts;
  throw invalidParam(
    name,
    "Value must a valid array and Must consist of multiple UIDs separated by a colon. Each UID must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, and underscore. Can't start with a special char.",
  );
}

/**
 * ISO 8601 as Appwrite's callers send it: a date, optionally a time (`T` or a space), optionally an
 * offset. PHP's `DateTime` would take more shapes, but Appwrite documents ISO 8601, and JavaScript
 * reads anything else in the machine's local time zone, which would make the double's answer
 * depend on where it runs.
 */
const isoDateTime = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The latest date utopia-php/database's `Datetime` validator accepts by default. */
const MAX_DATE_MS = Date.UTC(9999, 11, 31);

/**
 * A date that must not lie in the past (`Nullable(Datetime(requireDateInFuture: true))`), as
 * milliseconds since the epoch. A missing or `null` value is `null`. "Now" is the double's clock,
 * so tests that move the clock move this check too; Appwrite uses its own wall clock.
 *
 * @example
 * ```ts
 * futureDate(params.scheduledAt, 'scheduledAt', ctx.clock.now()); // 1768482000000, or null
 * ```
 */
export function futureDate(value: unknown, name: string, nowMs: number): number | null {
  if (value === undefined || value === null) return null;
  const match = typeof value === 'string' ? isoDateTime.exec(value) : null;
  if (match) {
    const [, date, hoursMinutes = '00:00', seconds = ':00', offset = 'Z'] = match;
    // Without an offset PHP reads the time in the server's zone, which is UTC in Appwrite.
    const normalisedOffset = /^[+-]\d{4}$/.test(offset) ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset.length === 3 ? `${offset}:00` : offset;
    const ms = Date.parse(`${date}T${hoursMinutes}${seconds}${normalisedOffset.toUpperCase()}`);
    if (Number.isFinite(ms) && ms >= nowMs && ms <= MAX_DATE_MS) return ms;
  }
  throw invalidParam(name, 'Value must be valid date in the future and between 0000-01-01 00:00:00 and 9999-12-31 00:00:00. or null');
}
