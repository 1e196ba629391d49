/**
 * The Node runtime: one HTTP server that serves every kit function under `/<name>`, `GET /health`,
 * the server's own pages (`server-routes.ts`: `/openapi.json`, `/docs`, the playground at `/`,
 * `/_dev/outbox`), and, unless a real Appwrite is configured, the embedded Appwrite double under
 * `/v1` (with `npm start`, also the development values of `development.ts` and its OIDC issuer).
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import * as z from 'zod';
import { systemClock } from '../clock.js';
import { appwriteConnectionSchema, envBool, envInt, parseConfig, type AppwriteConnection, type EnvSource } from '../config.js';
import { createDevAppwrite, kitTables, parseOriginPattern, type DevAppwrite, type PasswordHashOptions } from '../dev-appwrite/index.js';
import { errorResponse, KitError } from '../errors.js';
import type { KitEnv } from '../http.js';
import { createLogger, type Logger } from '../log.js';
import { createMemoryOnceStore } from '../once/memory-store.js';
import type { KitFunction } from '../platform.js';
import { bareClientAddress } from '../rate-limit/keys.js';
import { createMemoryStore } from '../rate-limit/memory-store.js';
import { mountFunctions } from './mount.js';
import { createKitHttpServer } from './node-http.js';
import { developmentSetup, DEVELOPMENT_ISSUER_PATH, type DevelopmentSetup } from './development.js';
import { playgroundSettings } from './playground.js';
import { createServerRoutes, RESERVED_FUNCTION_NAMES, serverPath } from './server-routes.js';
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
  /**
   * Browser origins that may call the embedded Appwrite, like an Appwrite project's platforms:
   * comma-separated `scheme://host[:port]`, or `scheme://host:*` for every port. The server's own
   * origin is always allowed.
   */
  DEV_APPWRITE_CORS_ORIGINS: z
    .string()
    .default('http://localhost:*,http://127.0.0.1:*,http://[::1]:*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every(isOriginPattern), 'must be origins such as http://localhost:5173 or http://localhost:*, comma-separated'),
  /**
   * Serve the playground (`GET /`) with a real Appwrite too; with the embedded one it is always
   * served. It signs users into the configured project: only where that is what you want.
   */
  PLAYGROUND: envBool(false),
});

function isOriginPattern(text: string): boolean {
  try {
    parseOriginPattern(text);
    return true;
  } catch {
    return false;
  }
}

/** A running server. */
export interface RunningNodeServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The Appwrite the functions talk to; `embedded` when it is the in-process double, with its key. */
  appwrite: { endpoint: string; projectId: string; embedded: boolean; apiKey?: string };
  /** The embedded double, when there is one (its store holds the development outbox). */
  devAppwrite: DevAppwrite | null;
  /** What `developmentValues` filled in (`NAME=value`, secrets never shown); empty without it. */
  developmentValues: readonly string[];
  /** The playground's address (`http://localhost:<port>/`, where passkeys work), or `null` when it is not served. */
  playground: string | null;
  close(): Promise<void>;
}

/** Options of {@link startNodeServer}. */
export interface NodeServerOptions {
  env: EnvSource;
  functions: readonly KitFunction[];
  logger?: Logger;
  /** For tests and benchmarks: the embedded double's argon2 costs (default: Appwrite's). */
  embeddedPasswordHashOptions?: PasswordHashOptions;
  /**
   * `npm start`: with the embedded Appwrite, fill the variables left unset with development values
   * (`development.ts`: development captcha and voice providers, a development OIDC issuer at
   * `/_dev/oidc/`), so every function works out of the box. Ignored with a real Appwrite.
   */
  developmentValues?: boolean;
}

/**
 * Picks the client IP: the socket's peer, or, behind `hops` trusted proxies, the address the
 * outermost trusted proxy saw (counted from the right of `X-Forwarded-For`, the only entries a
 * client cannot forge), without the port some proxies add. A trusted entry that is no address
 * (`unknown`, garbage) gives `null`, the shared `ip:unknown` bucket, and calls `onUnparseable`.
 *
 * @example
 * ```ts
 * clientIpFrom('10.0.0.2', '198.51.100.4, 203.0.113.9', 1);      // '203.0.113.9'
 * clientIpFrom('10.0.0.2', '198.51.100.4, [2001:db8::1]:443', 1); // '2001:db8::1'
 * ```
 */
export function clientIpFrom(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  hops: number,
  onUnparseable: () => void = () => {},
): string | null {
  if (hops > 0 && forwardedFor) {
    const chain = forwardedFor.split(',').map((entry) => entry.trim()).filter(Boolean);
    const candidate = chain[chain.length - hops];
    if (candidate) {
      const address = bareClientAddress(candidate);
      if (address === null) onUnparseable();
      return address;
    }
  }
  return socketAddress ?? null;
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
        // The kit's tables, and those the served functions declare (the passkey credentials).
        tables: { ...kitTables, tables: [...kitTables.tables, ...functions.flatMap((fn) => fn.appwriteTables)] },
        // Its own origin, known before listening except for an OS-chosen port: then any port of its host.
        corsOrigins: [`http://${settings.HOST.includes(':') ? `[${settings.HOST}]` : settings.HOST}:${settings.PORT || '*'}`, ...settings.DEV_APPWRITE_CORS_ORIGINS],
      })
    : null;

  // Every client behind a proxy that writes what this cannot read shares ip:unknown: say so once, not
  // per request, and without the entry (a client may have put it there).
  let warnedUnparseable = false;
  const warnUnparseable = () => {
    if (warnedUnparseable) return;
    warnedUnparseable = true;
    logger.warn('untrusted_client_ip', { reason: 'unparseable_forwarded_for' });
  };
  let functionsApp: ReturnType<typeof mountFunctions> | null = null;
  let serverRoutes: Hono<KitEnv> | null = null;
  let development: DevelopmentSetup | null = null;
  // Until the functions are mounted (the Appwrite endpoint is this server's own URL), they are busy.
  const starting = () => errorResponse(new KitError('server_busy', 'Starting.', { 'Retry-After': '1' }));
  const server = createKitHttpServer({
    hostname: settings.HOST,
    logger,
    fetch: (request, bindings) => {
      const path = new URL(request.url).pathname;
      // The double reads the socket itself, as Appwrite would behind its own proxy.
      if (dev && (path === '/v1' || path.startsWith('/v1/'))) return dev.app.fetch(request, bindings);
      if (development?.issuer && path.startsWith(DEVELOPMENT_ISSUER_PATH)) return development.issuer.fetch(request);
      if (serverPath.test(path)) {
        return serverRoutes ? serverRoutes.fetch(request, { clientIp: null }) : starting();
      }
      if (!functionsApp) return starting();
      const { incoming } = bindings;
      const clientIp = clientIpFrom(incoming.socket.remoteAddress, incoming.headers['x-forwarded-for']?.toString(), settings.TRUST_PROXY_HOPS, warnUnparseable);
      return functionsApp.fetch(request, { clientIp });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(settings.PORT, settings.HOST);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${settings.HOST.includes(':') ? `[${settings.HOST}]` : settings.HOST}:${port}`;

  const connection: AppwriteConnection = useEmbedded
    ? parseConfig(appwriteConnectionSchema, { ...env, APPWRITE_ENDPOINT: `${url}/v1`, APPWRITE_PROJECT_ID: EMBEDDED_PROJECT_ID, APPWRITE_API_KEY: devKey })
    : parseConfig(appwriteConnectionSchema, env);
  if (useEmbedded && options.developmentValues) development = await developmentSetup(env, url);
  const functionEnv = development?.env ?? env;
  const runtime = createRuntimeServices({
    kind: 'node',
    development: useEmbedded,
    env: functionEnv,
    logger,
    clock: systemClock,
    appwrite: () => connection,
    // One process serves everything here, so counters and records in memory are exact.
    rateLimitStore: () => createMemoryStore({ clock: systemClock }),
    onceStore: () => createMemoryOnceStore({ clock: systemClock }),
    developmentOutbox: dev?.store.outbox,
  });
  functionsApp = mountFunctions(functions, functionEnv, runtime);
  const playground =
    useEmbedded || settings.PLAYGROUND
      ? playgroundSettings({
          endpoint: useEmbedded ? null : connection.APPWRITE_ENDPOINT,
          projectId: connection.APPWRITE_PROJECT_ID,
          outbox: useEmbedded,
          captchaProvider: functionEnv['CAPTCHA_PROVIDER'],
          developmentIssuer: development?.issuer?.url ?? null,
        })
      : null;
  try {
    serverRoutes = createServerRoutes({ functions, url, dev, logger, playground });
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
    developmentValues: development?.filled ?? [],
    playground: playground ? `http://localhost:${port}/` : null,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
