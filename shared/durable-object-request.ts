/**
 * The request body of the kit's fetch-style Durable Objects (the rate-limit counter, the once
 * record): JSON, validated with the object's schema, or a 400 for the store to treat as a failure.
 *
 * @module
 */
import type { z } from 'zod';

/**
 * The validated body, or the 400 to answer instead.
 *
 * @example
 * ```ts
 * const body = await readObjectRequest(request, onceRequestSchema, 'once');
 * if (body instanceof Response) return body;
 * ```
 */
export async function readObjectRequest<Schema extends z.ZodType>(request: Request, schema: Schema, kind: string): Promise<z.output<Schema> | Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return Response.json({ message: 'Body must be JSON.' }, { status: 400 });
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? parsed.data : Response.json({ message: `Invalid ${kind} request.` }, { status: 400 });
}
