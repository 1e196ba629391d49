/**
 * A Worker that does one thing: verify a password against a PHC hash with the kit's Workers argon2
 * verifier (the `.wasm` module import wrangler bundles for the deployed Worker), so the benchmark
 * can measure that verification inside workerd without the rest of a login around it.
 *
 * @example
 * ```ts
 * await fetch(url, { method: 'POST', body: JSON.stringify({ phc, password }) }); // "true" or "false"
 * ```
 *
 * @module
 */
import * as z from 'zod';
import { workerdArgon2Verifier } from '../../shared/passwords/wasm-argon2-workerd.js';

const verifyRequest = z.object({ phc: z.string(), password: z.string() });

export default {
  async fetch(request: Request): Promise<Response> {
    const parsed = verifyRequest.safeParse(await request.json().catch(() => null));
    if (!parsed.success) return new Response('expected { phc, password }', { status: 400 });
    return new Response(String(await workerdArgon2Verifier.verify(parsed.data.phc, parsed.data.password)));
  },
};
