/**
 * SHA-256 as lower-case hex, on every runtime the kit supports: Node's `crypto.hash` where the
 * runtime has it, Web Crypto elsewhere.
 *
 * @module
 */

/**
 * Node's one-shot hash, found without a static `node:` import (the Worker bundle imports none).
 * On Node a login derives several keys (user ID, rate-limit keys); Web Crypto's `digest` sends
 * each to the thread pool, which argon2 keeps busy, and back, ten times the CPU of hashing a few
 * dozen bytes in place.
 */
type NodeOneShotHash = (algorithm: 'sha256', data: string, outputEncoding: 'hex') => string;
const nodeHash = (
  globalThis.process?.getBuiltinModule?.('node:crypto') as { hash?: NodeOneShotHash } | undefined
)?.hash;

/**
 * The SHA-256 of a UTF-8 string, as 64 lower-case hex digits.
 *
 * @example
 * ```ts
 * await sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  if (nodeHash) return nodeHash('sha256', text, 'hex');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
