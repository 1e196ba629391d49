/**
 * The base every function's Hono app is built on: one error shape, a body limit, 404 and 405
 * answers, `no-store` caching, `nosniff` and JSON body validation with zod.
 *
 * @module
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { validator } from 'hono/validator';
import type { z } from 'zod';
import { ConfigError } from './config.js';
import { corsPolicy } from './cors.js';
import { errorResponse, KitError } from './errors.js';
import type { Logger } from './log.js';
import { describeIssues, illFormedField, WELL_FORMED_MESSAGE } from './validation.js';

/**
 * What a runtime adapter tells the app about the request, beyond the `Request` itself.
 * Adapters fill it from what the platform vouches for, never from headers a client can set.
 */
export interface RequestFacts {
  /** The client's IP address as the platform reports it, or `null` when unknown. */
  clientIp: string | null;
}

/** The Hono environment of every function app. */
export interface KitEnv {
  Bindings: RequestFacts;
}

/** Options of {@link createFunctionApp}. */
export interface FunctionAppOptions {
  logger: Logger;
  /**
   * Largest accepted request body in bytes. Default 16 KiB: login bodies are tiny. `null` sets no
   * limit, for an app that only mounts functions: each applies its own, after its own CORS.
   */
  maxBodyBytes?: number | null;
  /**
   * Origins allowed by CORS (`shared/cors.ts`: origins as browsers send them, `https://*.example.com`,
   * or `['*']` for any: safe here, no cookies or ambient credentials). Every answer exposes
   * `Retry-After` and `RateLimit-*` to the page, and preflights are cached. `null` adds no CORS at
   * all, for an app that only mounts functions which answer CORS themselves.
   */
  corsOrigins?: string[] | null;
}

/**
 * Creates the Hono app a function adds its routes to.
 *
 * @example
 * ```ts
 * const app = createFunctionApp({ logger });
 * app.post('/login', jsonBody(loginSchema), async (c) => c.json(await login(c.req.valid('json'))));
 * ```
 */
export function createFunctionApp(options: FunctionAppOptions): Hono<KitEnv> {
  const { logger, maxBodyBytes = 16 * 1024, corsOrigins = ['*'] } = options;
  const app = new Hono<KitEnv>();

  app.use(async (c, next) => {
    await next();
    // Responses may carry token secrets: no cache anywhere may keep them. And a message that repeats
    // part of the request is JSON to a browser, never a page it might sniff and render.
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
  });
  // Before anything that can answer (405, 413, 415, 404), so every answer carries the CORS headers
  // and a browser sees the error rather than a CORS failure.
  if (corsOrigins) app.use(corsPolicy(corsOrigins));
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        errorResponse(
          new KitError('method_not_allowed', `${c.req.method} is not allowed here. Use ${allowed.join(', ')}.`, {
            Allow: allowed.join(', '),
          }),
        ),
    }),
  );
  if (maxBodyBytes !== null) {
    app.use(
      bodyLimit({
        maxSize: maxBodyBytes,
        onError: () => {
          throw new KitError('payload_too_large', `The request body is larger than ${maxBodyBytes} bytes.`);
        },
      }),
    );
  }

  app.notFound((c) => errorResponse(new KitError('not_found', `No route for ${c.req.method} ${quotablePath(c.req.url)}.`)));
  app.onError((error, c) => toErrorResponse(error, c, logger));
  return app;
}

const longestQuotedPath = 100;

/**
 * The path of a URL as an error message may repeat it: percent-encoded as sent (so no control
 * character or markup a decoded path could hold) and cut to 100 characters.
 */
function quotablePath(url: string): string {
  const path = new URL(url).pathname;
  return path.length > longestQuotedPath ? `${path.slice(0, longestQuotedPath)}…` : path;
}

/** Maps anything thrown inside a route to the kit's error shape; unknown errors become a bare 500. */
export function toErrorResponse(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof KitError) return errorResponse(error);
  if (error instanceof ConfigError) {
    logger.error('config_invalid', { problems: error.problems.join('; ') });
    return errorResponse(error.toKitError());
  }
  if (error instanceof HTTPException) {
    if (error.status === 413) return errorResponse(new KitError('payload_too_large', 'The request body is too large.'));
    if (error.status === 400) return errorResponse(new KitError('invalid_request', error.message || 'Bad request.'));
  }
  logger.error('unhandled_error', {
    method: c.req.method,
    path: c.req.path,
    error: error instanceof Error ? error.name : typeof error,
  });
  return errorResponse(new KitError('internal_error', 'Something went wrong. Try again later.'));
}

const jsonMediaType = /^application\/(?:[\w.-]+\+)?json$/i;

// split always answers at least one part: the text before any `;`.
const mediaTypeOf = (c: Context) => (c.req.header('content-type') ?? '').split(';')[0]!.trim();

/**
 * Checks parsed input against a schema, after refusing text that is not well-formed UTF-16 anywhere
 * in it: before the schema, in every field at once, so no function can forget a field and no
 * transform (NFKC, trimming) sees text that UTF-8 would silently turn into U+FFFD.
 */
async function validated<Schema extends z.ZodType>(schema: Schema, value: unknown, where: string): Promise<z.output<Schema>> {
  const illFormed = illFormedField(value);
  if (illFormed !== null) throw new KitError('invalid_request', `Invalid ${where}: ${illFormed}: ${WELL_FORMED_MESSAGE}.`);
  // reportInput: tells a field of the wrong type from a missing one; the input is never quoted.
  const result = await schema.safeParseAsync(value, { reportInput: true });
  if (!result.success) {
    throw new KitError('invalid_request', `Invalid ${where}: ${describeIssues(result.error.issues).join('; ')}.`);
  }
  return result.data;
}

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /**
   * `true`: a request with no body at all (no `Content-Type`, nothing sent) is validated as `{}`,
   * for a route whose body fields are all optional (a token that may come in a header instead).
   */
  optional?: boolean;
}

/**
 * Validates a JSON request body with a zod schema. A wrong content type is a 415, malformed JSON,
 * a string anywhere in the body that is not well-formed UTF-16, or a schema failure a 400
 * `invalid_request` whose message names the fields at fault.
 *
 * @example
 * ```ts
 * app.post('/register', jsonBody(z.object({ username: z.string() })), (c) => {
 *   const { username } = c.req.valid('json');
 *   return c.json({ username });
 * });
 * ```
 */
export function jsonBody<Schema extends z.ZodType>(schema: Schema, options: JsonBodyOptions = {}) {
  return validator('json', async (value, c): Promise<z.output<Schema>> => {
    const mediaType = mediaTypeOf(c);
    if (!jsonMediaType.test(mediaType)) {
      // Hono read nothing for a non-JSON type, so the body is still there to look at.
      const nothingSent = options.optional === true && mediaType === '' && (await c.req.text()) === '';
      if (!nothingSent) throw new KitError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
    }
    return validated(schema, value, 'request');
  });
}

/**
 * Validates an HTML form body (`application/x-www-form-urlencoded`, as OAuth and OpenID Connect
 * servers post to their clients) with a zod schema. Another content type is a 415; a field sent
 * twice arrives as an array, which a schema of strings refuses.
 *
 * @example
 * ```ts
 * app.post('/backchannel-logout', formBody(z.object({ logout_token: z.string() })), (c) =>
 *   c.json({ got: c.req.valid('form').logout_token.length }));
 * ```
 */
export function formBody<Schema extends z.ZodType>(schema: Schema) {
  return validator('form', async (value, c): Promise<z.output<Schema>> => {
    if (mediaTypeOf(c).toLowerCase() !== 'application/x-www-form-urlencoded') {
      throw new KitError('unsupported_media_type', 'Send the body as a form with Content-Type: application/x-www-form-urlencoded.');
    }
    return validated(schema, value, 'request');
  });
}

/**
 * Validates the query string with a zod schema: 400 `invalid_request` naming the parameters at
 * fault. A parameter given twice arrives as an array, which a schema of strings refuses.
 *
 * @example
 * ```ts
 * app.get('/login', queryParams(z.object({ success: z.url() })), (c) => c.json(c.req.valid('query')));
 * ```
 */
export function queryParams<Schema extends z.ZodType>(schema: Schema) {
  return validator('query', (value): Promise<z.output<Schema>> => validated(schema, value, 'query'));
}
