/**
 * The Node server's HTTP below Hono: requests Node's parser refuses (a bad method token,
 * Content-Length with Transfer-Encoding, headers over `maxHeaderSize`, ...), HTTP/1.1 without
 * `Host`, and a Host or URL `@hono/node-server` cannot build a `Request` from. Node and the adapter
 * answer these with an empty body; here they get the kit's `{ message, code, type }` like every
 * other answer.
 *
 * @module
 */
import { createServer, maxHeaderSize, STATUS_CODES, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { getRequestListener, RequestError, type HttpBindings } from '@hono/node-server';
import { errorResponse, KitError } from '../errors.js';
import type { Logger } from '../log.js';

/** An error Node's HTTP parser reports, with its `HPE_*` or `ERR_*` code. */
type ClientError = Error & { code?: string };

/**
 * The kit error for what Node's HTTP parser refused, by the code of its `clientError`. The message
 * never repeats the request: Node refused it because it could not read it.
 *
 * @example
 * ```ts
 * clientErrorAnswer(Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' })).status; // 431
 * ```
 */
export function clientErrorAnswer(error: ClientError): KitError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new KitError('headers_too_large', `The request headers are larger than ${maxHeaderSize} bytes.`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new KitError('payload_too_large', 'The chunk extensions of the request body are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new KitError('request_timeout', 'The request took too long to arrive.');
    default:
      return new KitError('invalid_request', 'The request is not valid HTTP/1.1.');
  }
}

/** A kit error as a whole HTTP/1.1 response, for a socket no response object owns. */
function rawErrorResponse(error: KitError): string {
  const body = JSON.stringify(error.toJSON());
  const headers = [...errorResponse(error).headers].map(([name, value]) => `${name}: ${value}`);
  return [`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`, ...headers, `content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body].join('\r\n');
}

/**
 * Answers what Node's HTTP parser refuses in the kit's error shape, then closes the connection.
 * Nothing is written while a response on the same connection is still open (a malformed request
 * pipelined behind one in progress): it would corrupt that response, so the connection only closes.
 *
 * @example
 * ```ts
 * const server = createServer(listener);
 * answerClientErrors(server);
 * ```
 */
export function answerClientErrors(server: Server): void {
  const openResponses = new WeakMap<object, number>();
  server.on('request', ({ socket }: { socket: object }, response: ServerResponse) => {
    openResponses.set(socket, (openResponses.get(socket) ?? 0) + 1);
    response.once('close', () => openResponses.set(socket, (openResponses.get(socket) ?? 1) - 1));
  });
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || (openResponses.get(socket) ?? 0) > 0) {
      socket.destroy();
      return;
    }
    socket.end(rawErrorResponse(clientErrorAnswer(error)), () => socket.destroy());
  });
}

/**
 * Whether a request lacks the `Host` an HTTP/1.1 request must carry (RFC 9112, 3.2: the server
 * answers 400). HTTP/1.0 may omit it.
 *
 * @example
 * ```ts
 * lacksRequiredHost({ httpVersion: '1.1', headers: {} }); // true
 * ```
 */
export function lacksRequiredHost(incoming: { httpVersion: string; headers: IncomingHttpHeaders }): boolean {
  return incoming.httpVersion === '1.1' && incoming.headers.host === undefined;
}

/** Options of {@link createKitHttpServer}. */
export interface KitHttpServerOptions {
  /** The host served when an HTTP/1.0 request names none (the address the server listens on). */
  hostname: string;
  logger: Logger;
  fetch: (request: Request, bindings: HttpBindings) => Response | Promise<Response>;
}

/**
 * A Node HTTP server for a fetch handler, through `@hono/node-server`, whose every answer is in the
 * kit's shape, down to the requests it cannot read. Not listening yet.
 *
 * @example
 * ```ts
 * const server = createKitHttpServer({ hostname: '127.0.0.1', logger, fetch: (request) => app.fetch(request, { clientIp: null }) });
 * server.listen(3000, '127.0.0.1');
 * ```
 */
export function createKitHttpServer({ hostname, logger, fetch }: KitHttpServerOptions): Server {
  const listener = getRequestListener(
    (request, bindings) =>
      lacksRequiredHost((bindings as HttpBindings).incoming)
        ? errorResponse(new KitError('invalid_request', 'An HTTP/1.1 request needs a Host header.'))
        : fetch(request, bindings as HttpBindings),
    {
      hostname,
      errorHandler: (error) => {
        // The adapter could not build a Request: a Host or URL no URL parser accepts.
        if (error instanceof RequestError) return errorResponse(new KitError('invalid_request', 'The request has an invalid Host or URL.'));
        logger.error('unhandled_error', { error: error instanceof Error ? error.name : typeof error });
        return errorResponse(new KitError('internal_error', 'Something went wrong. Try again later.'));
      },
    },
  );
  // Node answers a missing Host itself, with an empty body: the listener above answers it instead.
  const server = createServer({ requireHostHeader: false }, listener);
  answerClientErrors(server);
  return server;
}
