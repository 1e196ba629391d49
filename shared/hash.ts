/**
 * SHA-256 as lower-case hex, with Web Crypto so it runs on every runtime the kit supports.
 *
 * @module
 */

/**
 * The SHA-256 of a UTF-8 string, as 64 lower-case hex digits.
 *
 * @example
 * ```ts
 * await sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
