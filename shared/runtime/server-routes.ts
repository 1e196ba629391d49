/**
 * The Node server's own routes, beside the functions: the OpenAPI document (`GET /openapi.json`),
 * a page to try it (`GET /docs`), the playground (`GET /`, `playground.ts`), and, with the embedded
 * Appwrite only, the development outbox (`/_dev/outbox`).
 *
 * Only this file refers to `swagger-ui-dist`, and it imports none of it: it reads the page's few
 * files from disk, so no bundle (Worker, Appwrite) can ever contain them.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import type { DevAppwrite } from '../dev-appwrite/index.js';
import { errorResponse, KitError } from '../errors.js';
import { createFunctionApp, type KitEnv } from '../http.js';
import type { Logger } from '../log.js';
import { openApiDocument } from '../openapi.js';
import type { KitFunction } from '../platform.js';
import { servePlayground, type PlaygroundSettings } from './playground.js';

/**
 * Paths the server answers itself, before any function sees them. None can be a function's
 * `/<name>` (see {@link RESERVED_FUNCTION_NAMES}), so neither side shadows the other.
 *
 * @example
 * ```ts
 * serverPath.test('/docs/swagger-ui.css'); // true
 * serverPath.test('/');                    // true: the playground
 * serverPath.test('/docs-extra/greet');    // false: a function's path
 * ```
 */
export const serverPath = /^\/(?:$|(?:openapi\.json|docs|_dev)(?:\/|$))/;

/**
 * Function names a function may not take on this server: its `/<name>` would collide with the
 * server's own paths (`/docs`, `/health` from `mount.ts`, the double's `/v1`). `openapi.json` and
 * `_dev` cannot be function names at all (`defineFunction` allows only a-z, 0-9 and "-").
 *
 * @example
 * ```ts
 * RESERVED_FUNCTION_NAMES.includes('docs'); // true: startNodeServer refuses a function named docs
 * ```
 */
export const RESERVED_FUNCTION_NAMES: readonly string[] = ['docs', 'health', 'v1'];

/** The Swagger UI files the docs page loads, by the name served under `/docs/`, with their types. */
const swaggerAssets: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * The page starts Swagger UI from a file of its own rather than an inline script, so the page's
 * Content-Security-Policy can forbid inline scripts. `validatorUrl: null`: Swagger UI would
 * otherwise send the document to an online validator, which an offline machine cannot reach and a
 * private API should not be sent to.
 */
const docsInitScript = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, tryItOutEnabled: true });
});
`;

/** The docs page: local files only (`/docs/...`), so it works on a machine with no network. */
const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Appwrite custom token kit: API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** Where `swagger-ui-dist` lies on disk; resolved on the first docs request, so a server nobody browses never looks. */
function installedSwaggerUi(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/** Options of {@link createServerRoutes}. */
export interface ServerRoutesOptions {
  functions: readonly KitFunction[];
  url: string;
  dev: DevAppwrite | null;
  logger: Logger;
  /** The playground's settings, when the server shows it (`GET /`); `null` leaves `/` to the functions' 404. */
  playground?: PlaygroundSettings | null;
  /** Where Swagger UI's files are; default: the installed `swagger-ui-dist`. Tests point it elsewhere. */
  swaggerUiDirectory?: () => string;
}

/**
 * The server's own routes: `/openapi.json`, `/docs` and, with the double only, `/_dev/outbox`. On
 * the kit's base app, so a wrong method or an unknown path answers in the kit's error shape and
 * nothing here is cached (`no-store`: the outbox holds login codes) or sniffed (`nosniff`).
 *
 * @example
 * ```ts
 * const routes = createServerRoutes({ functions: kitFunctions, url: 'http://127.0.0.1:3000', dev, logger });
 * await routes.request('/openapi.json');
 * ```
 */
export function createServerRoutes({ functions, url, dev, logger, playground = null, swaggerUiDirectory = installedSwaggerUi }: ServerRoutesOptions): Hono<KitEnv> {
  const app = createFunctionApp({ logger, corsOrigins: null });
  // Built once: the routes are data and cannot change while the server runs.
  const document = JSON.stringify(openApiDocument(functions, { mounted: true, serverUrl: url }));
  app.get('/openapi.json', () => new Response(document, { headers: { 'content-type': 'application/json; charset=utf-8' } }));

  // The page only talks to this server: scripts from /docs only, requests to this origin or the
  // document's server URL (the same server, reached as 127.0.0.1 when the page was opened as localhost).
  // `nosniff`, like every answer here, comes from the base app.
  const pageSecurity = {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${url}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
  const page = () => new Response(docsPage, { headers: { 'content-type': 'text/html; charset=utf-8', ...pageSecurity } });
  app.get('/docs', page);
  app.get('/docs/', page);
  app.get('/docs/init.js', () => new Response(docsInitScript, { headers: { 'content-type': 'text/javascript; charset=utf-8' } }));
  const assets = new Map<string, Promise<ArrayBuffer>>();
  app.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset');
    // An allowlist, looked up as an own key: no other file of the package, and no path, is ever read.
    const type = Object.hasOwn(swaggerAssets, name) ? swaggerAssets[name] : undefined;
    if (!type) return c.notFound();
    let bytes = assets.get(name);
    if (!bytes) {
      bytes = Promise.resolve()
        .then(() => readFile(join(swaggerUiDirectory(), name)))
        .then((file) => file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
      assets.set(name, bytes);
      // A failed read (the package missing) is not kept: the next request tries again after npm install.
      bytes.catch(() => assets.delete(name));
    }
    try {
      return new Response(await bytes, { headers: { 'content-type': type } });
    } catch {
      // swagger-ui-dist is a development dependency: an install without them has no Swagger UI.
      logger.warn('docs_assets_missing', { asset: name });
      return errorResponse(new KitError('not_found', 'The docs page needs the swagger-ui-dist package: run npm install.'));
    }
  });

  if (playground) servePlayground(app, { settings: playground, logger });

  if (dev) {
    /**
     * `GET /_dev/outbox`: the emails and SMS the embedded double "sent", and the calls the
     * development voice provider "placed" (channel `voice`), oldest first.
     * **Development only, and it holds secrets**: login codes in clear, readable by anyone who can
     * reach this server. It exists only with the double (loopback, published key); with a real
     * Appwrite configured the route does not exist and answers 404.
     */
    app.get('/_dev/outbox', (c) => c.json({ limit: dev.store.outbox.limit, entries: dev.store.outbox.list() }));
    /** `DELETE /_dev/outbox`: forgets every entry (development only, like the outbox itself). */
    app.delete('/_dev/outbox', (c) => {
      dev.store.outbox.clear();
      return c.body(null, 204);
    });
  }
  return app;
}
