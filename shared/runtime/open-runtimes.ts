/**
 * The open-runtimes contract (Appwrite Functions' Node runtime, `src/server.js`), and the translation
 * between it and web-standard `Request`/`Response`. Nothing here knows about the kit's functions.
 *
 * @module
 */

/** Header values as Node's `IncomingMessage` gives them: `set-cookie` is the only array. */
export type HeaderValue = string | string[] | undefined;

/**
 * The `req` open-runtimes passes. Only the fields the adapter reads are listed; the others
 * (`body`, `bodyJson`, `query`) are deliberately left alone: `body` and `bodyJson` throw on
 * malformed JSON, and `query` is not URL-decoded.
 */
export interface OpenRuntimesRequest {
  method: string;
  /** Full URL rebuilt by the runtime from scheme, host, port, path and query string. */
  url?: string;
  /** Raw path, not decoded. */
  path?: string;
  /** Raw query string without `?`, not decoded. */
  queryString?: string;
  scheme?: string;
  /** Lower-cased names; `x-open-runtimes-*` already removed by the runtime. */
  headers: Record<string, HeaderValue>;
  /** The body as bytes (open-runtimes v4+). */
  bodyBinary?: Uint8Array;
  /** The body as UTF-8 text. */
  bodyText?: string;
  /** Deprecated alias of `bodyText`, the only body field of older runtimes. */
  bodyRaw?: string;
}

/** What a `res` method returns; the function must return it to open-runtimes. */
export interface OpenRuntimesOutput {
  body: unknown;
  statusCode: number;
  headers: Record<string, unknown>;
}

/** The `res` open-runtimes passes. */
export interface OpenRuntimesResponse {
  /** open-runtimes v4+; sends bytes as they are. */
  binary?(bytes: Buffer, statusCode?: number, headers?: Record<string, string | string[]>): OpenRuntimesOutput;
  text(body: string, statusCode?: number, headers?: Record<string, string | string[]>): OpenRuntimesOutput;
}

/** The context open-runtimes passes to the default export. */
export interface OpenRuntimesContext {
  req: OpenRuntimesRequest;
  res: OpenRuntimesResponse;
  /** Writes to the execution's log in the Appwrite Console. */
  log(message: string): void;
  /** Writes to the execution's error log in the Appwrite Console. */
  error(message: string): void;
}


/**
 * The first non-empty value of a header, or `undefined`.
 *
 * @example
 * ```ts
 * headerValue(context.req.headers['x-appwrite-key']); // 'standard_…' or undefined
 * ```
 */
export function headerValue(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() ? first.trim() : undefined;
}

// Connection-level headers describe the hop to open-runtimes, not the request; `content-length`
// is recomputed from the buffered body, and the API key stays with the adapter.
const droppedRequestHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
  'content-length',
  'x-appwrite-key',
]);

/**
 * Translates open-runtimes' `req` into a web `Request`. The URL keeps the raw, undecoded path and
 * query string, and the body is the exact bytes received. `signal` becomes the request's signal,
 * which the app reads to stop work nobody waits for any more.
 *
 * @example
 * ```ts
 * const request = toWebRequest(context.req, deadline.signal);
 * await app.fetch(request, { clientIp: null });
 * ```
 */
export function toWebRequest(req: OpenRuntimesRequest, signal?: AbortSignal): Request {
  const method = req.method.toUpperCase();
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || droppedRequestHeaders.has(name.toLowerCase())) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const init: RequestInit = { method, headers, ...(signal ? { signal } : {}) };
  if (method !== 'GET' && method !== 'HEAD') {
    const body = requestBody(req);
    headers.set('content-length', String(body.byteLength));
    init.body = body;
  }
  return new Request(requestUrl(req), init);
}

function requestBody(req: OpenRuntimesRequest): Uint8Array<ArrayBuffer> {
  if (req.bodyBinary instanceof Uint8Array) return new Uint8Array(req.bodyBinary);
  return new TextEncoder().encode(req.bodyText ?? req.bodyRaw ?? '');
}

function requestUrl(req: OpenRuntimesRequest): string {
  if (req.url) {
    try {
      return new URL(req.url).href;
    } catch {
      // An unusual Host (an IPv6 literal, say) breaks the runtime's rebuilt URL; the path still routes.
    }
  }
  const path = req.path?.startsWith('/') ? req.path : `/${req.path ?? ''}`;
  const query = req.queryString ? `?${req.queryString}` : '';
  return `${req.scheme === 'https' ? 'https' : 'http'}://localhost${path}${query}`;
}

// The runtime's HTTP server frames the body itself.
const droppedResponseHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * Hands a web `Response` to open-runtimes with its status and every header.
 *
 * @example
 * ```ts
 * return sendResponse(await app.fetch(toWebRequest(context.req)), context.res);
 * ```
 */
export async function sendResponse(response: Response, res: OpenRuntimesResponse): Promise<OpenRuntimesOutput> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    // `Headers` already joins repeated headers with ", "; cookies cannot be joined and stay a list.
    if (name !== 'set-cookie' && !droppedResponseHeaders.has(name)) headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const bytes = Buffer.from(await response.arrayBuffer());
  return typeof res.binary === 'function'
    ? res.binary(bytes, response.status, headers)
    : res.text(bytes.toString('utf8'), response.status, headers);
}
