/**
 * The Node runtime: one HTTP server that serves every kit function under `/<name>`, `GET /health`,
 * the OpenAPI document (`GET /openapi.json`) and a page to try it (`GET /docs`), and, unless a real
 * Appwrite is configured, the embedded Appwrite double under `/v1` with its development outbox
 * (`/_dev/outbox`).
 *
 * Only this file refers to `swagger-ui-dist`, and it imports none of it: it reads the page's few
 * files from disk, so no bundle (Worker, Appwrite) can ever contain them.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { z } from 'zod';
import { systemClock } from '../clock.js';
import { appwriteConnectionSchema, envBool, envInt, parseConfig, type AppwriteConnection, type EnvSource } from '../config.js';
import { createDevAppwrite, type DevAppwrite, type PasswordHashOptions } from '../dev-appwrite/index.js';
import { errorResponse, KitError } from '../errors.js';
import { createFunctionApp, type KitEnv } from '../http.js';
import { createLogger, type Logger } from '../log.js';
import { createMemoryOnceStore } from '../once/memory-store.js';
import { openApiDocument } from '../openapi.js';
import type { KitFunction } from '../platform.js';
import { createMemoryStore } from '../rate-limit/memory-store.js';
import { mountFunctions } from './mount.js';
import { createRuntimeServices } from './services.js';

const appwriteVariables = ['APPWRITE_ENDPOINT', 'APPWRITE_PROJECT_ID', 'APPWRITE_API_KEY'] as const;

/** Project ID of the embedded Appwrite. */
export const EMBEDDED_PROJECT_ID = 'kit-local';

/**
 * The embedded Appwrite's default API key. Published on purpose: it opens only an in-memory
 * development double on loopback, and a fixed key is what lets `npx wrangler dev` (`.dev.vars`) and
 * a built Appwrite function talk to `npm start`. Never a real Appwrite key.
 */
export const DEV_APPWRITE_API_KEY = 'kit-local-development-key-not-a-secret';

/** Every scope the kit's functions use, granted to the development key. */
export const DEV_APPWRITE_SCOPES = ['users.read', 'users.write', 'rows.read', 'rows.write', 'messages.read', 'messages.write'];

const loopbackHost = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** Settings of the Node server itself (the functions read their own variables). */
export const nodeServerSchema = z.object({
  PORT: envInt({ min: 0, max: 65_535, default: 3000 }),
  HOST: z.string().default('127.0.0.1'),
  /**
   * How many reverse proxies in front of this server append to `X-Forwarded-For`. 0 (the default)
   * ignores the header entirely: a client can write anything into it.
   */
  TRUST_PROXY_HOPS: envInt({ min: 0, max: 10, default: 0 }),
  /** The embedded Appwrite's API key; fixed by default so `wrangler dev` and built functions can use it. */
  DEV_APPWRITE_API_KEY: z.string().min(16).default(DEV_APPWRITE_API_KEY),
  /** Serve the embedded Appwrite on a non-loopback HOST anyway. It has a published key: never on a shared network. */
  DEV_APPWRITE_ALLOW_REMOTE: envBool(false),
});

/** A running server. */
export interface RunningNodeServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The Appwrite the functions talk to; `embedded` when it is the in-process double, with its key. */
  appwrite: { endpoint: string; projectId: string; embedded: boolean; apiKey?: string };
  /** The embedded double, when there is one (its store holds the development outbox). */
  devAppwrite: DevAppwrite | null;
  close(): Promise<void>;
}

/** Options of {@link startNodeServer}. */
export interface NodeServerOptions {
  env: EnvSource;
  functions: readonly KitFunction[];
  logger?: Logger;
  /** For tests and benchmarks: the embedded double's argon2 costs (default: Appwrite's). */
  embeddedPasswordHashOptions?: PasswordHashOptions;
}

/**
 * Picks the client IP: the socket's peer, or, behind `hops` trusted proxies, the address the
 * outermost trusted proxy saw (counted from the right of `X-Forwarded-For`, the only entries a
 * client cannot forge).
 *
 * @example
 * ```ts
 * clientIpFrom('10.0.0.2', '198.51.100.4, 203.0.113.9', 1); // '203.0.113.9'
 * ```
 */
export function clientIpFrom(socketAddress: string | undefined, forwardedFor: string | undefined, hops: number): string | null {
  if (hops > 0 && forwardedFor) {
    const chain = forwardedFor.split(',').map((entry) => entry.trim()).filter(Boolean);
    const candidate = chain[chain.length - hops];
    if (candidate) return candidate;
  }
  return socketAddress ?? null;
}

/**
 * Paths the server answers itself, before any function sees them. None can be a function's
 * `/<name>` (see {@link RESERVED_FUNCTION_NAMES}), so neither side shadows the other.
 */
const serverPath = /^\/(?:openapi\.json|docs|_dev)(?:\/|$)/;

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
function swaggerUiDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/** Options of {@link createServerRoutes}. */
interface ServerRoutesOptions {
  functions: readonly KitFunction[];
  url: string;
  dev: DevAppwrite | null;
  logger: Logger;
}

/**
 * The server's own routes: `/openapi.json`, `/docs` and, with the double only, `/_dev/outbox`. On
 * the kit's base app, so a wrong method or an unknown path answers in the kit's error shape and
 * nothing here is cached (`no-store`: the outbox holds login codes).
 */
function createServerRoutes({ functions, url, dev, logger }: ServerRoutesOptions): Hono<KitEnv> {
  const app = createFunctionApp({ logger, corsOrigins: null });
  // Built once: the routes are data and cannot change while the server runs.
  const document = JSON.stringify(openApiDocument(functions, { mounted: true, serverUrl: url }));
  app.get('/openapi.json', () => new Response(document, { headers: { 'content-type': 'application/json; charset=utf-8' } }));

  // The page only talks to this server: scripts from /docs only, requests to this origin or the
  // document's server URL (the same server, reached as 127.0.0.1 when the page was opened as localhost).
  const pageSecurity = {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${url}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
  };
  const page = () => new Response(docsPage, { headers: { 'content-type': 'text/html; charset=utf-8', ...pageSecurity } });
  app.get('/docs', page);
  app.get('/docs/', page);
  app.get('/docs/init.js', () => new Response(docsInitScript, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'x-content-type-options': 'nosniff' } }));
  const assets = new Map<string, Promise<ArrayBuffer>>();
  app.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset');
    // An allowlist, looked up as an own key: no other file of the package, and no path, is ever read.
    const type = Object.hasOwn(swaggerAssets, name) ? swaggerAssets[name] : undefined;
    if (!type) return errorResponse(new KitError('not_found', `No route for GET ${c.req.path}.`));
    let bytes = assets.get(name);
    if (!bytes) {
      bytes = Promise.resolve()
        .then(() => readFile(join(swaggerUiDirectory(), name)))
        .then((file) => file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
      assets.set(name, bytes);
      // A failed read (the package missing) is not kept: the next request tries again after npm install.
      bytes.catch(() => assets.delete(name));
    }
    return new Response(await bytes, { headers: { 'content-type': type, 'x-content-type-options': 'nosniff' } });
  });

  if (dev) {
    /**
     * `GET /_dev/outbox`: the emails and SMS the embedded double "sent", oldest first.
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

/**
 * Starts the server. Throws a `ConfigError` naming the variables at fault when the environment is
 * invalid, before listening.
 *
 * @example
 * ```ts
 * const server = await startNodeServer({ env: { PORT: '0' }, functions: kitFunctions });
 * await fetch(`${server.url}/health`);
 * await server.close();
 * ```
 */
export async function startNodeServer(options: NodeServerOptions): Promise<RunningNodeServer> {
  const { env, functions, logger = createLogger(console.log, console.error) } = options;
  const settings = parseConfig(nodeServerSchema, env);
  const taken = functions.filter((fn) => RESERVED_FUNCTION_NAMES.includes(fn.name)).map((fn) => fn.name);
  if (taken.length > 0) throw new Error(`Function names ${taken.join(', ')} are taken by the server's own paths; rename the function.`);
  // On a server someone is watching start, a bad variable stops it here, before it serves anything.
  for (const fn of functions) parseConfig(fn.configSchema, env);
  const configured = appwriteVariables.filter((name) => env[name]?.trim());
  if (configured.length > 0 && configured.length < appwriteVariables.length) {
    const missing = appwriteVariables.filter((name) => !configured.includes(name));
    throw new Error(`Set all of ${appwriteVariables.join(', ')} or none of them; missing: ${missing.join(', ')}.`);
  }
  const useEmbedded = configured.length === 0;
  if (useEmbedded && !loopbackHost.test(settings.HOST) && !settings.DEV_APPWRITE_ALLOW_REMOTE) {
    throw new Error(
      `HOST=${settings.HOST} would expose the embedded Appwrite, whose key is published, beyond this machine. ` +
        'Use a loopback HOST, configure a real Appwrite (APPWRITE_*), or set DEV_APPWRITE_ALLOW_REMOTE=true on a network you control.',
    );
  }
  const devKey = settings.DEV_APPWRITE_API_KEY;
  const dev = useEmbedded
    ? createDevAppwrite({
        projectId: EMBEDDED_PROJECT_ID,
        apiKeys: { [devKey]: DEV_APPWRITE_SCOPES },
        passwordHashOptions: options.embeddedPasswordHashOptions,
      })
    : null;

  let functionsApp: ReturnType<typeof mountFunctions> | null = null;
  let serverRoutes: Hono<KitEnv> | null = null;
  const server = serve({
    hostname: settings.HOST,
    port: settings.PORT,
    fetch: (request: Request, bindings: HttpBindings | Http2Bindings) => {
      const path = new URL(request.url).pathname;
      // The double reads the socket itself, as Appwrite would behind its own proxy.
      if (dev && (path === '/v1' || path.startsWith('/v1/'))) return dev.app.fetch(request, bindings);
      if (serverPath.test(path)) {
        return serverRoutes ? serverRoutes.fetch(request, { clientIp: null }) : Response.json({ message: 'Starting.', code: 503, type: 'server_busy' }, { status: 503 });
      }
      if (!functionsApp) return Response.json({ message: 'Starting.', code: 503, type: 'server_busy' }, { status: 503 });
      const { incoming } = bindings;
      const clientIp = clientIpFrom(incoming.socket.remoteAddress, incoming.headers['x-forwarded-for']?.toString(), settings.TRUST_PROXY_HOPS);
      return functionsApp.fetch(request, { clientIp });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${settings.HOST.includes(':') ? `[${settings.HOST}]` : settings.HOST}:${port}`;

  const connection: AppwriteConnection = useEmbedded
    ? parseConfig(appwriteConnectionSchema, { ...env, APPWRITE_ENDPOINT: `${url}/v1`, APPWRITE_PROJECT_ID: EMBEDDED_PROJECT_ID, APPWRITE_API_KEY: devKey })
    : parseConfig(appwriteConnectionSchema, env);
  const runtime = createRuntimeServices({
    kind: 'node',
    env,
    logger,
    clock: systemClock,
    appwrite: () => connection,
    // One process serves everything here, so counters and records in memory are exact.
    rateLimitStore: () => createMemoryStore({ clock: systemClock }),
    onceStore: () => createMemoryOnceStore({ clock: systemClock }),
  });
  functionsApp = mountFunctions(functions, env, runtime);
  try {
    serverRoutes = createServerRoutes({ functions, url, dev, logger });
  } catch (error) {
    // A route declaring an unknown error type fails the OpenAPI document: stop listening, then say so.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }

  return {
    url,
    appwrite: {
      endpoint: connection.APPWRITE_ENDPOINT,
      projectId: connection.APPWRITE_PROJECT_ID,
      embedded: useEmbedded,
      ...(useEmbedded ? { apiKey: devKey } : {}),
    },
    devAppwrite: dev,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
