/**
 * The Appwrite Functions runtime: turns a kit function into the default export open-runtimes calls
 * with `{ req, res, log, error }` (the Node runtime's `src/server.js`).
 *
 * Each Appwrite function has its own domain, so the function's routes are served at the root
 * (`/login`, not `/password/login`). The adapter only translates: context to `Request`, `Response`
 * back to `res.binary`. Everything a function does is in its own app.
 *
 * @module
 */
import * as z from 'zod';
import { systemClock, type Clock } from '../clock.js';
import { appwriteConnectionSchema, ConfigError, envInt, parseConfig, type AppwriteConnection, type EnvSource } from '../config.js';
import { errorResponse, KitError, type ErrorBody } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { createAppwriteOnceStore } from '../once/appwrite-store.js';
import type { KitFunction } from '../platform.js';
import { createAppwriteStore } from '../rate-limit/appwrite-store.js';
import { createRowSightings } from '../rate-limit/row-sightings.js';
import { buildFunctionApp } from './mount.js';
import { createRuntimeServices } from './services.js';
import {
  headerValue,
  sendResponse,
  toWebRequest,
  type OpenRuntimesContext,
  type OpenRuntimesOutput,
  type OpenRuntimesResponse,
} from './open-runtimes.js';

/** The default export open-runtimes calls once per execution. */
export type AppwriteEntry = (context: OpenRuntimesContext) => Promise<OpenRuntimesOutput>;

export type { OpenRuntimesContext, OpenRuntimesOutput, OpenRuntimesRequest, OpenRuntimesResponse } from './open-runtimes.js';

/**
 * What the adapter reads besides the function's own variables. Appwrite sets the first two on
 * every execution; the API key comes from the `x-appwrite-key` request header when the function
 * has scopes, else from `APPWRITE_API_KEY`.
 */
export const appwriteRuntimeSchema = z.object({
  APPWRITE_FUNCTION_API_ENDPOINT: appwriteConnectionSchema.shape.APPWRITE_ENDPOINT,
  APPWRITE_FUNCTION_PROJECT_ID: z.string().min(1),
  // Required only by functions whose ports call Appwrite: checked when one first does (see `connectionOf`).
  APPWRITE_API_KEY: z.string().min(1).optional(),
  APPWRITE_TIMEOUT_MS: appwriteConnectionSchema.shape.APPWRITE_TIMEOUT_MS,
  /**
   * The whole execution's budget. A login waits for several calls to Appwrite one after another
   * (three when all goes well), each with its own `APPWRITE_TIMEOUT_MS`; past this the function answers 503 itself, before the function
   * `timeout` in appwrite.json (15 s) has open-runtimes answer a bare 500, and the work left behind
   * changes nothing more (see `withDeadline`).
   */
  REQUEST_TIMEOUT_MS: envInt({ min: 100, max: 900_000, default: 12_000 }),
});

/** Options of {@link createAppwriteEntry}. */
export interface AppwriteEntryOptions {
  /** Where variables come from, read on every execution. Default `process.env`. */
  env?: EnvSource;
  /** The time the function's windows and expiries are read from. Default: the wall clock. */
  clock?: Clock;
}

/**
 * Creates the open-runtimes entry of a kit function. It never throws: a misconfiguration answers
 * 500 `config_invalid` and logs the variables at fault (never their values), anything unexpected
 * a bare 500 `internal_error`, so open-runtimes never prints a stack trace.
 *
 * @example
 * ```ts
 * // what `npm run build:appwrite` bundles to dist/appwrite/password.js
 * export default createAppwriteEntry(passwordFunction);
 * ```
 */
export function createAppwriteEntry(fn: KitFunction, options: AppwriteEntryOptions = {}): AppwriteEntry {
  // open-runtimes keeps the module loaded between executions: what one saw of the counters' rows
  // tells the next which call to try first (a hint only; see row-sightings.ts).
  const sightings = createRowSightings();
  const clock = options.clock ?? systemClock;
  return async (context) => {
    const logger = createLogger(
      (line) => context.log(line),
      (line) => context.error(line),
    );
    try {
      const env = options.env ?? process.env;
      const apiKey = headerValue(context.req.headers['x-appwrite-key']) ?? env['APPWRITE_API_KEY'];
      const settings = parseConfig(appwriteRuntimeSchema, { ...env, APPWRITE_API_KEY: apiKey });
      if (headerValue(context.req.headers['x-appwrite-trigger']) === 'schedule') {
        return await purgeExpiredRows(connectionOf(settings), { logger, clock }, context.res);
      }
      // Aborted when the budget runs out: the services (built per execution) and the request carry it.
      const deadline = new AbortController();
      const { signal } = deadline;
      const runtime = createRuntimeServices({
        kind: 'appwrite',
        env,
        logger,
        clock,
        signal,
        appwrite: () => connectionOf(settings),
        // Executions run on many instances: counters and records live in Appwrite tables all of them share.
        rateLimitStore: () => createAppwriteStore(connectionOf(settings), { logger, signal, sightings, clock }),
        onceStore: () => createAppwriteOnceStore(connectionOf(settings), { logger, signal, clock }),
      });
      const app = buildFunctionApp(fn, env, runtime);
      const clientIp = headerValue(context.req.headers['x-appwrite-client-ip']) ?? null;
      const response = await withDeadline(
        Promise.resolve(app.fetch(toWebRequest(context.req, signal), { clientIp })),
        settings.REQUEST_TIMEOUT_MS,
        deadline,
        logger,
      );
      return await sendResponse(response, context.res);
    } catch (error) {
      return sendFailure(failureResponse(error, fn, logger), context.res);
    }
  };
}

/** The hint logged with a missing key: Appwrite sends `x-appwrite-key` only to functions with scopes. */
const MISSING_KEY_HINT = 'give the function its scopes in appwrite.json (Appwrite then sends x-appwrite-key), or set APPWRITE_API_KEY';

/**
 * Where Appwrite is, for a port that calls it. A function whose ports never call Appwrite (no
 * scopes in appwrite.json, so no `x-appwrite-key`) runs without a key; one that does fails closed
 * here with `config_invalid`, naming the missing key and how to get one.
 */
function connectionOf(settings: z.output<typeof appwriteRuntimeSchema>): AppwriteConnection {
  if (!settings.APPWRITE_API_KEY) throw new ConfigError([`APPWRITE_API_KEY is required: ${MISSING_KEY_HINT}`]);
  return {
    APPWRITE_ENDPOINT: settings.APPWRITE_FUNCTION_API_ENDPOINT,
    APPWRITE_PROJECT_ID: settings.APPWRITE_FUNCTION_PROJECT_ID,
    APPWRITE_API_KEY: settings.APPWRITE_API_KEY,
    APPWRITE_TIMEOUT_MS: settings.APPWRITE_TIMEOUT_MS,
  };
}

/**
 * The response, or a 503 once `ms` have passed. The work left running cannot be stopped from here
 * (open-runtimes keeps the process, and its promises, alive for the next execution), so `deadline`
 * is aborted before the 503 goes out: from then on no Appwrite call starts and the sign-in pipeline
 * stops before its next state-changing step (`shared/deadline.ts`). A call already sent may still
 * complete in Appwrite.
 */
async function withDeadline(response: Promise<Response>, ms: number, deadline: AbortController, logger: Logger): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Response>((resolve) => {
    timer = setTimeout(() => {
      logger.error('request_timeout', { timeoutMs: ms });
      deadline.abort();
      resolve(errorResponse(new KitError('appwrite_unavailable', 'Appwrite is unavailable. Try again later.')));
    }, ms);
  });
  try {
    return await Promise.race([response, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A scheduled execution (`schedule` in appwrite.json; Appwrite sets `x-appwrite-trigger` itself and
 * overwrites a client's) deletes rate-limit rows whose window has ended and replay records past their
 * expiry, so the tables stay small.
 * Harmless if triggered otherwise: it only removes counters that no longer count.
 */
async function purgeExpiredRows(
  connection: AppwriteConnection,
  { logger, clock }: { logger: Logger; clock: Clock },
  res: OpenRuntimesResponse,
): Promise<OpenRuntimesOutput> {
  const purged = await createAppwriteStore(connection, { logger, clock }).purgeExpired();
  logger.info('rate_limit_rows_purged', { purged });
  // Replay records too; a failure here must not hide the counters' purge, and the next hour retries.
  try {
    logger.info('once_rows_purged', { purged: await createAppwriteOnceStore(connection, { logger, clock }).purgeExpired() });
  } catch {
    logger.warn('once_rows_not_purged', {});
  }
  return sendResponse(Response.json({ purged }), res);
}

/** Sends an error response; if even that fails, the same JSON as plain text, still no throw. */
async function sendFailure(response: Response, res: OpenRuntimesResponse): Promise<OpenRuntimesOutput> {
  try {
    return await sendResponse(response, res);
  } catch {
    const body: ErrorBody = { message: 'Something went wrong. Try again later.', code: 500, type: 'internal_error' };
    return res.text(JSON.stringify(body), 500, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  }
}

function failureResponse(error: unknown, fn: KitFunction, logger: Logger): Response {
  // Thrown outside the app (the scheduled purge): keeps its type; whoever threw it logged why.
  if (error instanceof KitError) return errorResponse(error);
  if (error instanceof ConfigError) {
    logger.error('config_invalid', { function: fn.name, problems: error.problems.join('; ') });
    return errorResponse(error.toKitError());
  }
  logger.error('unhandled_error', { function: fn.name, error: error instanceof Error ? error.name : typeof error });
  return errorResponse(new KitError('internal_error', 'Something went wrong. Try again later.'));
}
