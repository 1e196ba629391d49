/**
 * Appwrite list queries as `node-appwrite`'s `Query` serialises them
 * (`{"method":"equal","attribute":"email","values":["a@b.c"]}`), for the embedded double.
 * Supports `equal`, `notEqual`, `contains`, `limit` and `offset`; any other method is refused
 * with 400 `general_query_invalid` rather than silently ignored.
 *
 * @module
 */
import { AppwriteError } from './errors.js';

/** A parsed query list, ready to apply to records of type `T`. */
export interface ParsedQueries<T> {
  filters: ((item: T) => boolean)[];
  limit: number;
  offset: number;
}

/** Appwrite's default page size (`APP_LIMIT_LIST_DEFAULT`). */
export const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 5000;
const MAX_QUERIES = 100;

/**
 * Parses `queries[]` against the attributes a collection lets clients filter on. Each attribute
 * maps to a function reading its stored value; array values (like labels) match if any element does.
 *
 * @example
 * ```ts
 * const parsed = parseQueries(params.queries, { email: (u: UserRecord) => u.email });
 * const page = applyQueries([...store.users.values()], parsed);
 * ```
 */
export function parseQueries<T>(raw: unknown, attributes: Record<string, (item: T) => unknown>): ParsedQueries<T> {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length > MAX_QUERIES) throw invalidQuery(`Queries must be an array of at most ${MAX_QUERIES} items`);
  const parsed: ParsedQueries<T> = { filters: [], limit: DEFAULT_LIMIT, offset: 0 };
  for (const entry of list) addQuery(parsed, decodeQuery(entry), attributes);
  return parsed;
}

/**
 * Filters, then pages, a list of records.
 *
 * @example
 * ```ts
 * applyQueries(users, parseQueries(['{"method":"limit","values":[1]}'], attributes)); // first user only
 * ```
 */
export function applyQueries<T>(items: readonly T[], parsed: ParsedQueries<T>): { total: number; page: T[] } {
  const matching = items.filter((item) => parsed.filters.every((filter) => filter(item)));
  return { total: matching.length, page: matching.slice(parsed.offset, parsed.offset + parsed.limit) };
}

interface RawQuery {
  method: string;
  attribute?: string;
  values: unknown[];
}

function decodeQuery(entry: unknown): RawQuery {
  let value: unknown = entry;
  if (typeof entry === 'string') {
    try {
      value = JSON.parse(entry);
    } catch {
      throw invalidQuery(`Invalid query: ${entry}`);
    }
  }
  if (typeof value !== 'object' || value === null) throw invalidQuery('Invalid query');
  const { method, attribute, values } = value as Record<string, unknown>;
  if (typeof method !== 'string') throw invalidQuery('Invalid query method');
  return {
    method,
    attribute: typeof attribute === 'string' ? attribute : undefined,
    values: Array.isArray(values) ? values : values === undefined ? [] : [values],
  };
}

function addQuery<T>(parsed: ParsedQueries<T>, query: RawQuery, attributes: Record<string, (item: T) => unknown>): void {
  switch (query.method) {
    case 'limit':
      parsed.limit = integerValue(query, 1, MAX_LIMIT);
      return;
    case 'offset':
      parsed.offset = integerValue(query, 0, Number.MAX_SAFE_INTEGER);
      return;
    case 'equal':
    case 'contains':
    case 'notEqual': {
      const read = attributeReader(query, attributes);
      const wanted = query.values;
      if (wanted.length === 0) throw invalidQuery(`Invalid query: ${query.method} queries require at least one value.`);
      const matches = (item: T) => valuesOf(read(item)).some((actual) => wanted.some((value) => value === actual));
      parsed.filters.push(query.method === 'notEqual' ? (item) => !matches(item) : matches);
      return;
    }
    default:
      throw invalidQuery(`Invalid query method: ${query.method}`);
  }
}

function attributeReader<T>(query: RawQuery, attributes: Record<string, (item: T) => unknown>): (item: T) => unknown {
  const read = query.attribute === undefined ? undefined : attributes[query.attribute];
  if (!read) throw invalidQuery(`Invalid query: Attribute not found in schema: ${query.attribute ?? ''}`);
  return read;
}

function valuesOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function integerValue(query: RawQuery, min: number, max: number): number {
  const [value] = query.values;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw invalidQuery(`Invalid ${query.method} query: Value must be a valid range between ${min} and ${max}`);
}

function invalidQuery(message: string): AppwriteError {
  return new AppwriteError('general_query_invalid', message);
}
