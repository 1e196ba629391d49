/**
 * The OpenAPI 3.1 document of kit functions, generated from their route declarations
 * (`shared/routes.ts`) with zod's own `z.toJSONSchema`: nothing here is written by hand per route.
 *
 * @module
 */
import { z } from 'zod';
import { errorStatus, statusOf, type ErrorCatalog } from './errors.js';
import type { KitFunction } from './platform.js';
import type { RouteSpec } from './routes.js';

/** Options of {@link openApiDocument}. */
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

/** Error types answered by every route, beyond those it declares. */
function implicitErrors(route: RouteSpec): string[] {
  const body = route.body ? ['invalid_request', 'unsupported_media_type', 'payload_too_large'] : [];
  return [...body, 'internal_error', 'config_invalid'];
}

function errorResponses(route: RouteSpec, catalog: ErrorCatalog): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  for (const type of new Set([...route.errors, ...implicitErrors(route)])) {
    const status = statusOf(type, catalog);
    if (status === undefined) throw new TypeError(`Route ${route.method.toUpperCase()} ${route.path} names an undeclared error type ${type}.`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), type]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, types] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: types.join(', '),
      ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds until the limit lets a new attempt through.', schema: { type: 'integer' } } } } : {}),
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { message: { type: 'string' }, code: { const: status }, type: { enum: types.sort() } },
            required: ['message', 'code', 'type'],
            additionalProperties: false,
          },
        },
      },
    };
  }
  return responses;
}

function operation(fn: KitFunction, name: string, route: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    responses[status] = {
      description: answer!.description,
      ...(answer!.schema ? { content: { 'application/json': { schema: jsonSchema(answer!.schema, 'output') } } } : {}),
    };
  }
  return {
    operationId: `${fn.name}.${name}`,
    tags: [fn.name],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
    responses: { ...responses, ...errorResponses(route, fn.errors) },
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
      // OpenAPI path templates use {id} where Hono uses :id.
      const path = `${options.mounted ? `/${fn.name}` : ''}${route.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}') || '/';
      paths[path] = { ...paths[path], [route.method]: operation(fn, name, route) };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Appwrite custom token kit',
      version: options.version ?? '0.1.0',
      description: 'Each sign-in answers an Appwrite token: exchange it with account.createSession({ userId, secret }). Errors have the shape { message, code, type }; branch on type.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: functions.map((fn) => ({ name: fn.name, description: fn.summary })),
    paths,
  };
}

/** Every kit-wide error type, for documentation that lists them. */
export const kitErrorTypes = Object.keys(errorStatus);
