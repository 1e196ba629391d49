/**
 * A faithful fake of the open-runtimes Node runtime, to drive an Appwrite entry in tests without
 * Docker. It follows `open-runtimes/open-runtimes runtimes/node/versions/latest/src/server.js`
 * field by field: how `req` is derived from the HTTP request (lower-cased headers without
 * `x-open-runtimes-*`, `OPEN_RUNTIMES_HEADERS` overrides, scheme from `x-forwarded-proto`, host and
 * port split from `Host`, raw path and query string, a naive undecoded `query`, the rebuilt `url`,
 * body getters where `bodyJson` and `body` throw on malformed JSON), what `res.*` return, and what
 * the runtime does with the output (a throw or a missing return becomes an empty 500 with the
 * stack in the error log, `x-open-runtimes-*` response headers are dropped, `; charset=utf-8` is
 * appended to the content type). Log lines are formatted as its `src/logger.js` does, and
 * `console.*` is captured during the execution as the runtime does.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Header values as Node's `IncomingMessage` gives them. */
type HeaderValue = string | string[];

/** The HTTP request open-runtimes receives. */
export interface RawRequest {
  method?: string;
  /** Path and query string as on the request line, e.g. `/login?x=1`. Default `/`. */
  url?: string;
  /** Lower-case names, as Node delivers them. `host` defaults to `localhost:3000`. */
  headers?: Record<string, HeaderValue>;
  body?: string | Uint8Array;
}

/** What the runtime would put on the wire, plus everything the execution logged. */
export interface RuntimeResult {
  statusCode: number;
  headers: Record<string, HeaderValue>;
  body: Buffer;
  /** `context.log` lines and captured `console.*` output. */
  logs: string[];
  /** `context.error` lines, including the stack the runtime writes when the function throws. */
  errors: string[];
  /** Whether the function threw or returned nothing (open-runtimes then answers an empty 500). */
  failed: boolean;
  text(): string;
  json(): unknown;
}

/** The output shape every `res.*` method returns. */
export interface FakeOutput {
  body: unknown;
  statusCode: number;
  headers: Record<string, unknown>;
}

/** A function as open-runtimes loads it: the module's default export. */
export type RuntimeEntry = (context: never) => unknown;

/** Options of the fake runtime. */
export interface FakeRuntimeOptions {
  /** `OPEN_RUNTIMES_HEADERS`: headers the runtime forces onto every request (the CLI's local run sets the key this way). */
  enforcedHeaders?: Record<string, string>;
}

/** Formats a log message as open-runtimes' `Logger.write` does. */
function formatLogMessage(message: unknown): string {
  if (message instanceof Error) return String(message.stack || message);
  if (message instanceof Object || Array.isArray(message)) return JSON.stringify(message);
  return `${message as string}`;
}

/**
 * Builds the `{ req, res, log, error }` context open-runtimes would pass for `raw`.
 *
 * @example
 * ```ts
 * const { context, logs } = createOpenRuntimesContext({ method: 'POST', url: '/login', body: '{}' });
 * const output = await entry(context);
 * ```
 */
export function createOpenRuntimesContext(raw: RawRequest, options: FakeRuntimeOptions = {}) {
  const logs: string[] = [];
  const errors: string[] = [];
  const incoming: Record<string, HeaderValue> = { host: 'localhost:3000', ...raw.headers };

  const contentType = String(incoming['content-type'] ?? 'text/plain').toLowerCase();
  const bodyBinary = Buffer.from(raw.body ?? '');

  const headers: Record<string, HeaderValue> = {};
  for (const header of Object.keys(incoming)) {
    if (header.toLowerCase().startsWith('x-open-runtimes-')) continue;
    headers[header.toLowerCase()] = incoming[header]!;
  }
  for (const [header, value] of Object.entries(options.enforcedHeaders ?? {})) headers[header.toLowerCase()] = `${value}`;

  const scheme = String(incoming['x-forwarded-proto'] ?? 'http');
  const defaultPort = scheme === 'https' ? '443' : '80';
  const hostHeader = String(incoming['host']);
  const host = hostHeader.includes(':') ? hostHeader.split(':')[0]! : hostHeader;
  const port = +(hostHeader.includes(':') ? hostHeader.split(':')[1]! : defaultPort);
  const requestLine = raw.url ?? '/';
  const path = requestLine.includes('?') ? requestLine.split('?')[0]! : requestLine;
  const queryString = requestLine.includes('?') ? requestLine.split('?')[1]! : '';
  const query: Record<string, string> = {};
  for (const param of queryString.split('&')) {
    const [key, ...valueArr] = param.split('=');
    if (key) query[key] = valueArr.join('=');
  }
  const url = `${scheme}://${host}${port.toString() === defaultPort ? '' : `:${port}`}${path}${queryString === '' ? '' : `?${queryString}`}`;

  const req = {
    get body(): unknown {
      if (contentType.startsWith('application/json')) return this.bodyBinary.length > 0 ? this.bodyJson : {};
      for (const type of ['application/', 'audio/', 'font/', 'image/', 'video/']) {
        if (contentType.startsWith(type)) return this.bodyBinary;
      }
      return this.bodyText;
    },
    get bodyRaw(): string {
      return this.bodyText;
    },
    get bodyText(): string {
      return this.bodyBinary.toString();
    },
    get bodyJson(): unknown {
      return JSON.parse(this.bodyText);
    },
    get bodyBinary(): Buffer {
      return bodyBinary;
    },
    headers,
    method: raw.method ?? 'GET',
    host,
    scheme,
    query,
    queryString,
    port,
    url,
    path,
  };

  const res = {
    send(body: unknown, statusCode = 200, headers: Record<string, unknown> = {}): FakeOutput {
      return this.text(`${body as string}`, statusCode, headers);
    },
    text(body: string, statusCode = 200, headers: Record<string, unknown> = {}): FakeOutput {
      return this.binary(Buffer.from(body, 'utf8'), statusCode, headers);
    },
    binary(bytes: unknown, statusCode = 200, headers: Record<string, unknown> = {}): FakeOutput {
      return { body: bytes, statusCode, headers };
    },
    json(obj: unknown, statusCode = 200, headers: Record<string, unknown> = {}): FakeOutput {
      headers['content-type'] = 'application/json';
      return this.text(JSON.stringify(obj), statusCode, headers);
    },
    empty(): FakeOutput {
      return this.text('', 204, {});
    },
    redirect(url: string, statusCode = 301, headers: Record<string, unknown> = {}): FakeOutput {
      headers['location'] = url;
      return this.text('', statusCode, headers);
    },
  };

  const context = {
    req,
    res,
    log: (message: unknown) => void logs.push(formatLogMessage(message)),
    error: (message: unknown) => void errors.push(formatLogMessage(message)),
  };
  return { context, logs, errors };
}

const consoleMethods = ['log', 'info', 'debug', 'warn', 'error'] as const;
const execution = new AsyncLocalStorage<{ logs: string[]; noticed: boolean }>();
let originalConsole: Array<(...args: unknown[]) => void> | null = null;
let capturing = 0;

/**
 * Routes `console.*` into the execution's log while it runs, as the runtime's
 * `overrideNativeLogs` does. Unlike the runtime, concurrent executions each keep their own lines
 * and the console is restored once the last one ends.
 */
async function withNativeLogsCaptured<T>(logs: string[], run: () => Promise<T>): Promise<T> {
  if (capturing++ === 0) {
    const saved = consoleMethods.map((name) => console[name]);
    originalConsole = saved;
    consoleMethods.forEach((name, index) => {
      console[name] = (...args: unknown[]) => {
        const current = execution.getStore();
        if (!current) return saved[index]!(...args);
        if (!current.noticed) {
          current.noticed = true;
          current.logs.push('Native logs detected. Use context.log() or context.error() for better experience.');
        }
        current.logs.push(args.map((arg) => (typeof arg === 'object' ? JSON.stringify(arg) : String(arg))).join(' '));
      };
    });
  }
  try {
    return await execution.run({ logs, noticed: false }, run);
  } finally {
    if (--capturing === 0 && originalConsole) {
      const saved = originalConsole;
      consoleMethods.forEach((name, index) => (console[name] = saved[index]!));
      originalConsole = null;
    }
  }
}

/**
 * Runs `entry` the way open-runtimes serves one HTTP request, and returns what would be sent.
 *
 * @example
 * ```ts
 * const result = await invokeOpenRuntimes(entry, { method: 'GET', url: '/nope' });
 * expect(result.statusCode).toBe(404);
 * expect(result.failed).toBe(false);
 * ```
 */
export async function invokeOpenRuntimes(
  entry: RuntimeEntry,
  raw: RawRequest,
  options: FakeRuntimeOptions = {},
): Promise<RuntimeResult> {
  const { context, logs, errors } = createOpenRuntimesContext(raw, options);
  let failed = false;
  let output = await withNativeLogsCaptured(logs, async () => {
    try {
      return (await (entry as (context: unknown) => unknown)(context)) as FakeOutput | null | undefined;
    } catch (error) {
      failed = true;
      context.error(error instanceof Error ? (error.stack ?? error) : error);
      return context.res.text('', 500, {});
    }
  });
  if (output === null || output === undefined) {
    failed = true;
    context.error('Return statement missing. return context.res.empty() if no response is expected.');
    output = context.res.text('', 500, {});
  }

  const statusCode = output.statusCode ?? 200;
  const headers: Record<string, HeaderValue> = {};
  for (const [header, value] of Object.entries(output.headers ?? {})) {
    if (header.toLowerCase().startsWith('x-open-runtimes-')) continue;
    headers[header.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  const contentTypeValue = String(headers['content-type'] ?? 'text/plain').toLowerCase();
  if (!contentTypeValue.startsWith('multipart/') && !contentTypeValue.includes('charset=')) {
    headers['content-type'] = `${contentTypeValue}; charset=utf-8`;
  }
  // micro's send(): a Buffer goes out as is, any other object as JSON, anything else as text.
  const rawBody = output.body ?? '';
  const body = Buffer.isBuffer(rawBody)
    ? rawBody
    : Buffer.from(typeof rawBody === 'object' ? JSON.stringify(rawBody) : String(rawBody));

  return {
    statusCode,
    headers,
    body,
    logs,
    errors,
    failed,
    text: () => body.toString('utf8'),
    json: () => JSON.parse(body.toString('utf8')) as unknown,
  };
}
