/**
 * What every input must be before any schema looks at it (well-formed Unicode text), and how zod
 * issues become short messages that name the field and the rule, never the value.
 *
 * @module
 */
import * as z from 'zod';

/** What a client is told about a string that is not well-formed UTF-16. */
export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode text (no lone surrogate)';

// With the `u` flag a string is read by code points: a surrogate pair is one astral code point, so
// only a lone surrogate matches. The same test as ES2024's `String.prototype.isWellFormed`.
const loneSurrogate = /\p{Cs}/u;

/**
 * Whether a string is well-formed UTF-16. JSON can spell a lone surrogate (`"\ud800"`), and every
 * later step (NFKC, UTF-8 for argon2 or Appwrite) turns one into U+FFFD: `"\ud800abc"` and
 * `"\udfffabc"` would become the same password.
 *
 * @example
 * ```ts
 * isWellFormedText('😀');        // true
 * isWellFormedText('\ud800abc'); // false
 * ```
 */
export function isWellFormedText(value: string): boolean {
  return !loneSurrogate.test(value);
}

/**
 * A zod check refusing strings that are not well-formed UTF-16, for text that does not come through
 * `jsonBody` (which already refuses it anywhere in a body): a parsed token's claims, a vendor's answer.
 *
 * @example
 * ```ts
 * const claims = z.object({ sub: z.string().check(wellFormed()) });
 * ```
 */
export function wellFormed() {
  return z.refine<string>((value) => isWellFormedText(value), WELL_FORMED_MESSAGE);
}

interface Pending {
  value: unknown;
  parent: Pending | null;
  key: string | number | null;
}

function pathOf(node: Pending | null): string {
  const keys: Array<string | number> = [];
  for (let at = node; at && at.key !== null; at = at.parent) keys.unshift(at.key);
  return keys.map(String).join('.') || 'body';
}

/**
 * The field (a dotted path, `body` for the top level) of a string in a parsed JSON value that is not
 * well-formed UTF-16, or `null` when every string and key is. A bad key is reported as the object
 * holding it, so the answer never repeats the bad text.
 *
 * @example
 * ```ts
 * illFormedField({ user: { name: 'Ann \ud83d' } }); // 'user.name'
 * illFormedField({ name: 'Ann' });                  // null
 * ```
 */
export function illFormedField(value: unknown): string | null {
  // A loop, not recursion: a 16 KiB body can nest thousands of levels deep.
  const pending: Pending[] = [{ value, parent: null, key: null }];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const current = node.value;
    if (typeof current === 'string') {
      if (!isWellFormedText(current)) return pathOf(node);
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, parent: node!, key: index }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (!isWellFormedText(key)) return pathOf(node);
        pending.push({ value: item, parent: node, key });
      }
    }
  }
  return null;
}

const expectedNames: Record<string, string> = {
  object: 'a JSON object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/**
 * Describes zod issues as `field: rule` strings, safe for clients and logs alike.
 *
 * A missing field and one of the wrong type are told apart only when the parse was asked to report
 * inputs (`safeParse(value, { reportInput: true })`, as `jsonBody` does); otherwise both read as
 * missing. The inputs are only looked at, never quoted.
 *
 * @example
 * ```ts
 * const result = schema.safeParse(input, { reportInput: true });
 * if (!result.success) console.log(describeIssues(result.error.issues)); // ['username is required', 'body must be a JSON object']
 * ```
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const name = issue.path.map(String).join('.') || 'body';
    if (issue.code === 'invalid_type') {
      if (issue.input === undefined) return `${name} is required`;
      return `${name} must be ${expectedNames[issue.expected] ?? `of type ${issue.expected}`}`;
    }
    return `${name}: ${issue.message}`;
  });
}
