/**
 * One error shape for the whole kit, deliberately the same as Appwrite's own
 * (`{ message, code, type }`), so client code can treat both alike.
 *
 * `type` is the stable, machine-readable part: clients branch on it, never on `message`.
 *
 * @module
 */

/** Every `type` the kit can answer with, mapped to its HTTP status. */
export const errorStatus = {
  invalid_request: 400,
  password_rejected: 400,
  invalid_credentials: 401,
  not_found: 404,
  method_not_allowed: 405,
  username_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  config_invalid: 500,
  appwrite_error: 502,
  appwrite_unavailable: 503,
  rate_limiter_unavailable: 503,
  once_store_unavailable: 503,
  server_busy: 503,
  sessions_not_revoked: 503,
} as const;

/** A stable, machine-readable error type. */
export type ErrorType = keyof typeof errorStatus;

/** The JSON body of every error response. */
export interface ErrorBody {
  message: string;
  code: number;
  type: ErrorType;
}

/**
 * An error meant for the client: its message is safe to show and its type is stable.
 * Anything thrown that is not a `KitError` reaches the client as a bare `internal_error`.
 *
 * @example
 * ```ts
 * throw new KitError('invalid_credentials', 'Invalid username or password.');
 * throw new KitError('rate_limited', 'Too many attempts.', { 'Retry-After': '30' });
 * ```
 */
export class KitError extends Error {
  override readonly name = 'KitError';
  readonly status: number;

  constructor(
    readonly type: ErrorType,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = errorStatus[type];
  }

  /** The body sent to the client. */
  toJSON(): ErrorBody {
    return { message: this.message, code: this.status, type: this.type };
  }
}

/**
 * Builds the JSON `Response` for an error type.
 *
 * @example
 * ```ts
 * return errorResponse(new KitError('not_found', 'No route for GET /nope.'));
 * ```
 */
export function errorResponse(error: KitError): Response {
  return Response.json(error.toJSON(), {
    status: error.status,
    headers: { ...error.headers, 'cache-control': 'no-store' },
  });
}
