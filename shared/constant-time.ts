/**
 * Comparisons of secrets whose time does not depend on where the inputs differ: the one place the
 * kit compares a presented secret (a derived key, a fixed token, a signature, an OAuth `state`)
 * with the expected one.
 *
 * @module
 */

/**
 * Compares two byte strings in time that depends only on their length (which the caller's format
 * already reveals), never on where they first differ.
 *
 * @example
 * ```ts
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])); // false
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  // Stryker disable next-line EqualityOperator: one step past the end reads undefined ^ undefined, which is 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

const encoder = new TextEncoder();
const digest = async (text: string) => new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));

/**
 * Compares two strings through their SHA-256 digests, so neither their bytes nor their lengths
 * shape the comparison's timing.
 *
 * @example
 * ```ts
 * await constantTimeEqualText(presentedToken, DEVELOPMENT_CAPTCHA_TOKEN); // true only for the exact token
 * ```
 */
export async function constantTimeEqualText(received: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(received), digest(expected)]);
  return constantTimeEqual(a, b);
}
