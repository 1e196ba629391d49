/**
 * The OpenAPI 3.1 document of kit functions, generated from their route declarations
 * (`shared/routes.ts`) with zod's own `z.toJSONSchema`: nothing here is written by hand per route.
 *
 * @module
 */
import * as z from 'zod';
import { errorStatus, statusOf, type ErrorCatalog } from './errors.js';
import type { KitFunction } from './platform.js';
import type { RouteSpec } from './routes.js';

/**
 * Options of {@link openApiDocument}.
 *
 * @example
 * ```ts
 * const served: OpenApiOptions = { mounted: true, serverUrl: 'http://127.0.0.1:3000' }; // npm start, the Worker
 * const appwrite: OpenApiOptions = { mounted: false };                                   // one Appwrite function
 * ```
 */
export interface OpenApiOptions {
  /** `true` (shared servers): paths are `/<function>/<route>`. `false` (one Appwrite function): paths at the root. */
  mounted: boolean;
  /** Base URL for `servers`, e.g. `http://127.0.0.1:3000`. */
  serverUrl?: string;
  title?: string;
  version?: string;
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/**
 * Error types answered by every route, beyond those it declares. On Appwrite (`mounted: false`) the
 * runtime's request budget answers 503 `appwrite_unavailable` for any route that runs too long
 * (`shared/runtime/appwrite.ts`), whether or not the route itself calls Appwrite.
 */
function implicitErrors(route: RouteSpec, mounted: boolean): string[] {
  const body = route.body ? ['invalid_request', 'unsupported_media_type', 'payload_too_large'] : [];
  const query = route.query ? ['invalid_request'] : [];
  return [...body, ...query, 'internal_error', 'config_invalid', ...(mounted ? [] : ['appwrite_unavailable'])];
}

/** Error types whose answers carry `Retry-After` (the rate-limit guard's and the argon2 gate's). */
const retryAfterTypes = new Set(['rate_limited', 'server_busy']);

function errorResponses(route: RouteSpec, catalog: ErrorCatalog, mounted: boolean): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  for (const type of new Set([...route.errors, ...implicitErrors(route, mounted)])) {
    const status = statusOf(type, catalog);
    if (status === undefined) throw new TypeError(`Route ${route.method.toUpperCase()} ${route.path} names an undeclared error type ${type}.`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), type]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, unsorted] of [...byStatus].sort(([a], [b]) => a - b)) {
    const types = [...unsorted].sort();
    const retryAfter = types.some((type) => retryAfterTypes.has(type));
    responses[String(status)] = {
      description: types.join(', '),
      ...(retryAfter
        ? { headers: { 'Retry-After': { description: `Seconds to wait before trying again (${types.filter((type) => retryAfterTypes.has(type)).join(', ')}).`, schema: { type: 'integer' } } } }
        : {}),
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { message: { type: 'string' }, code: { const: status }, type: { enum: types } },
            required: ['message', 'code', 'type'],
            additionalProperties: false,
          },
        },
      },
    };
  }
  return responses;
}

/** Path parameters of an OpenAPI path template: every `{name}` must be declared, or the document is invalid. */
function pathParameters(path: string): Record<string, unknown>[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
}

/** Query parameters, one per property of the route's `query` object schema. */
function queryParameters(route: RouteSpec): Record<string, unknown>[] {
  if (!route.query) return [];
  const schema = jsonSchema(route.query, 'input');
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries((schema['properties'] ?? {}) as Record<string, JsonSchema>).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: required.has(name), ...(typeof description === 'string' ? { description } : {}), schema: rest };
  });
}

const bodyMediaTypes = { json: 'application/json', form: 'application/x-www-form-urlencoded' } as const;

/** A redirect's one promise: where the browser goes next. */
const locationHeader = { Location: { required: true, description: 'Where the browser goes next.', schema: { type: 'string' } } };

/**
 * `GET /health` of the shared servers (`shared/runtime/mount.ts`), which only exists when functions
 * are mounted: an Appwrite function has no such route.
 */
const healthOperation = {
  operationId: 'health',
  // Capitalised: no function can take this tag, as function names are lower-case.
  tags: ['Server'],
  summary: 'Whether the server is up, and which functions it serves.',
  responses: {
    '200': {
      description: 'The server is up.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              status: { const: 'ok' },
              functions: { type: 'array', items: { type: 'string' } },
              notices: {
                type: 'array',
                items: { type: 'string' },
                description: 'What an operator must see, e.g. a development-only provider in use. Absent when there is none.',
              },
            },
            required: ['status', 'functions'],
            additionalProperties: false,
          },
        },
      },
    },
  },
};

function operation(fn: KitFunction, name: string, route: RouteSpec, path: string, mounted: boolean): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    responses[status] = {
      description: answer!.description,
      ...(status === '302' ? { headers: locationHeader } : {}),
      ...(answer!.schema ? { content: { 'application/json': { schema: jsonSchema(answer!.schema, 'output') } } } : {}),
    };
  }
  const parameters = [...pathParameters(path), ...queryParameters(route)];
  const mediaType = bodyMediaTypes[route.bodyType ?? 'json'];
  return {
    operationId: `${fn.name}.${name}`,
    tags: [fn.name],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: route.bodyOptional !== true, content: { [mediaType]: { schema: jsonSchema(route.body, 'input') } } } }
      : {}),
    responses: { ...responses, ...errorResponses(route, fn.errors, mounted) },
  };
}

/**
 * The OpenAPI 3.1 document of some functions.
 *
 * @example
 * ```ts
 * const document = openApiDocument(kitFunctions, { mounted: true, serverUrl: 'http://127.0.0.1:3000' });
 * const one = openApiDocument([passwordFunction], { mounted: false }); // for an Appwrite deployment
 * ```
 */
export function openApiDocument(functions: readonly KitFunction[], options: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of functions) {
    for (const [name, route] of Object.entries(fn.routes)) {
      // OpenAPI path templates use {id} where Hono uses :id. Mounted, a function's `/` is served
      // at `/<name>` exactly (Hono joins `/password` and `/` into `/password`; `/password/` is a 404).
      const relative = options.mounted && route.path === '/' ? '' : route.path;
      const path = `${options.mounted ? `/${fn.name}` : ''}${relative}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      paths[path] = { ...paths[path], [route.method]: operation(fn, name, route, path, options.mounted) };
    }
  }
  if (options.mounted) paths['/health'] = { ...paths['/health'], get: healthOperation };
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Appwrite custom token kit',
      version: options.version ?? '0.1.0',
      description: 'Each sign-in answers an Appwrite token: exchange it with account.createSession({ userId, secret }). Errors have the shape { message, code, type }; branch on type.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      ...functions.map((fn) => ({ name: fn.name, description: fn.summary })),
      ...(options.mounted ? [{ name: 'Server', description: 'The shared server itself (npm start, the Worker).' }] : []),
    ],
    paths,
  };
}

/**
 * Every kit-wide error type, for documentation that lists them.
 *
 * @example
 * ```ts
 * kitErrorTypes.includes('rate_limited'); // true
 * ```
 */
export const kitErrorTypes = Object.keys(errorStatus);
