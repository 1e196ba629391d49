/**
 * Routes as data. A function declares each route once (method, path, request schema, answers and
 * error types); {@link serveRoutes} registers exactly those routes on its Hono app, and
 * `openapi.ts` describes the same declarations. Documentation cannot drift from what is served.
 *
 * @module
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { formBody, jsonBody, queryParams, type KitEnv } from './http.js';

/** One success answer of a route. */
export interface RouteAnswer {
  description: string;
  /** The JSON body; omitted for an empty answer (204, or a 302 whose `Location` is the answer). */
  schema?: z.ZodType;
}

/** One route, as data. */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Relative to the function: `/login`, served as `/password/login` on shared servers. */
  path: `/${string}`;
  summary: string;
  description?: string;
  /** The request body, validated before the handler runs (400 `invalid_request` otherwise). */
  body?: z.ZodType;
  /**
   * How the body comes: `json` (the default) or `form` (`application/x-www-form-urlencoded`, as
   * OAuth and OpenID Connect servers post). Anything else is a 415.
   */
  bodyType?: 'json' | 'form';
  /** JSON only: `true` lets a request come with no body at all, which `body` then sees as `{}`. */
  bodyOptional?: boolean;
  /** The query parameters, a `z.object` of strings, validated before the handler runs (400 `invalid_request` otherwise). */
  query?: z.ZodType;
  /** Success answers by status; a 302 is a redirect, documented with its `Location` header. */
  answers: Partial<Record<200 | 201 | 202 | 204 | 302, RouteAnswer>>;
  /**
   * Error types this route answers with, kit-wide or the function's own. Those every route can give
   * (`internal_error`, `config_invalid`, and for JSON bodies `invalid_request`,
   * `unsupported_media_type`, `payload_too_large`) are added by the OpenAPI document itself.
   */
  errors: readonly string[];
}

/** A function's routes, by handler name. */
export type RouteTable = Record<string, RouteSpec>;

/**
 * Declares a route table, keeping its literal types for {@link serveRoutes}.
 *
 * @example
 * ```ts
 * export const helloRoutes = defineRoutes({
 *   greet: { method: 'get', path: '/', summary: 'Says hello.', answers: { 200: { description: 'A greeting.', schema: z.object({ text: z.string() }) } }, errors: [] },
 * });
 * ```
 */
export function defineRoutes<Routes extends RouteTable>(routes: Routes): Routes {
  return routes;
}

/** What a handler receives besides the Hono context: the validated body and query, if the route has them. */
export interface RouteInput<Route extends RouteSpec> {
  body: Route['body'] extends z.ZodType ? z.output<Route['body']> : undefined;
  query: Route['query'] extends z.ZodType ? z.output<Route['query']> : undefined;
}

/** The handler of one route. */
export type RouteHandler<Route extends RouteSpec> = (c: Context<KitEnv>, input: RouteInput<Route>) => Response | Promise<Response>;

/**
 * Registers every route of a table on an app, each with its handler; the compiler insists on a
 * handler for every route and no other.
 *
 * @example
 * ```ts
 * serveRoutes(createFunctionApp({ logger }), helloRoutes, { greet: (c) => c.json({ text: 'hello' }) });
 * ```
 */
export function serveRoutes<Routes extends RouteTable>(
  app: Hono<KitEnv>,
  routes: Routes,
  handlers: { [Name in keyof Routes]: RouteHandler<Routes[Name]> },
): Hono<KitEnv> {
  for (const [name, route] of Object.entries(routes)) {
    const handler = handlers[name] as RouteHandler<RouteSpec>;
    // The query first: a request with a wrong query string costs no body read.
    const validators: MiddlewareHandler[] = [
      ...(route.query ? [queryParams(route.query)] : []),
      ...(!route.body ? [] : route.bodyType === 'form' ? [formBody(route.body)] : [jsonBody(route.body, { optional: route.bodyOptional === true })]),
    ];
    const handle: MiddlewareHandler<KitEnv> = async (c) => {
      // What the validators above stored; Hono cannot infer their types through a list.
      const request = c.req as unknown as { valid(target: 'json' | 'form' | 'query'): unknown };
      const valid = (target: 'json' | 'form' | 'query') => request.valid(target);
      const input = {
        body: route.body ? valid(route.bodyType === 'form' ? 'form' : 'json') : undefined,
        query: route.query ? valid('query') : undefined,
      };
      return await handler(c, input as RouteInput<RouteSpec>);
    };
    app.on(route.method.toUpperCase(), [route.path], ...(validators as MiddlewareHandler<KitEnv>[]), handle);
  }
  return app;
}
