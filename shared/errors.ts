/**
 * One error shape for the whole kit, deliberately the same as Appwrite's own
 * (`{ message, code, type }`), so client code can treat both alike.
 *
 * `type` is the stable, machine-readable part: clients branch on it, never on `message`.
 *
 * @module
 */

/**
 * The kit-wide error types every function shares, mapped to their HTTP status. A function's own
 * types (`invalid_credentials`, `username_taken`, ...) are declared next to it with
 * {@link defineErrors}.
 */
export const errorStatus = {
  invalid_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  captcha_invalid: 403,
  invalid_token: 401,
  rate_limited: 429,
  user_blocked: 403,
  account_conflict: 409,
  internal_error: 500,
  config_invalid: 500,
  appwrite_error: 502,
  appwrite_unavailable: 503,
  rate_limiter_unavailable: 503,
  once_store_unavailable: 503,
  delivery_unavailable: 503,
  captcha_unavailable: 503,
  issuer_unavailable: 503,
  server_busy: 503,
} as const;

/** A kit-wide error type. */
export type ErrorType = keyof typeof errorStatus;

/** The status of a kit-wide type. Own keys only: `constructor` or `toString` is no error type. */
const kitWideStatus = (type: string): number | undefined => (Object.hasOwn(errorStatus, type) ? errorStatus[type as ErrorType] : undefined);

/** The JSON body of every error response. */
export interface ErrorBody {
  message: string;
  code: number;
  /** Stable and machine-readable: a kit-wide {@link ErrorType} or one a function declared. */
  type: string;
}

/**
 * An error meant for the client: its message is safe to show and its type is stable.
 * Anything thrown that is not a `KitError` reaches the client as a bare `internal_error`.
 *
 * Kit-wide types know their status; a function's own types come from its {@link defineErrors}
 * catalog, which passes the status along.
 *
 * @example
 * ```ts
 * throw new KitError('rate_limited', 'Too many attempts.', { 'Retry-After': '30' });
 * throw passwordErrors.create('invalid_credentials'); // a function's own type, status 401
 * ```
 */
export class KitError extends Error {
  override readonly name = 'KitError';
  readonly status: number;

  constructor(
    readonly type: string,
    message: string,
    readonly headers: Record<string, string> = {},
    status?: number,
  ) {
    super(message);
    const known = kitWideStatus(type);
    if (status === undefined && known === undefined) throw new TypeError(`Unknown error type ${type}: declare it with defineErrors.`);
    this.status = status ?? known!;
  }

  /** The body sent to the client. */
  toJSON(): ErrorBody {
    return { message: this.message, code: this.status, type: this.type };
  }
}

/** One error type a function declares: its HTTP status and the message clients see by default. */
export interface ErrorSpec {
  status: number;
  message: string;
}

/** A function's error catalog, as {@link defineErrors} returns it. */
export interface ErrorCatalog<Type extends string = string> {
  /** Type → status and default message, for the OpenAPI document and the kit's error map. */
  readonly specs: Readonly<Record<Type, ErrorSpec>>;
  /** A `KitError` of one of these types, with the declared message unless another is given. */
  create(type: Type, message?: string, headers?: Record<string, string>): KitError;
}

const typePattern = /^[a-z][a-z0-9_]*$/;

/**
 * Declares a function's own error types next to the function, so its status codes and messages
 * live in one place and reach the OpenAPI document. A type may not shadow a kit-wide one.
 *
 * @example
 * ```ts
 * export const passwordErrors = defineErrors({
 *   invalid_credentials: { status: 401, message: 'Invalid username or password.' },
 * });
 * throw passwordErrors.create('invalid_credentials');
 * ```
 */
export function defineErrors<Type extends string>(specs: Record<Type, ErrorSpec>): ErrorCatalog<Type> {
  for (const [type, spec] of Object.entries<ErrorSpec>(specs)) {
    if (!typePattern.test(type)) throw new TypeError(`Error type ${type} must be snake_case.`);
    if (kitWideStatus(type) !== undefined) throw new TypeError(`Error type ${type} is kit-wide already; do not redeclare it.`);
    if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) throw new TypeError(`Error type ${type} needs a 4xx or 5xx status.`);
  }
  return {
    specs,
    create: (type, message, headers) => new KitError(type, message ?? specs[type].message, headers, specs[type].status),
  };
}

/**
 * The status of an error type, kit-wide or from a catalog; `undefined` for a type nobody declared.
 *
 * @example
 * ```ts
 * statusOf('rate_limited');                          // 429
 * statusOf('invalid_credentials', passwordErrors);   // 401
 * ```
 */
export function statusOf(type: string, catalog?: ErrorCatalog): number | undefined {
  const specs: Readonly<Record<string, ErrorSpec>> = catalog?.specs ?? {};
  return kitWideStatus(type) ?? (Object.hasOwn(specs, type) ? specs[type]!.status : undefined);
}

/**
 * Builds the JSON `Response` for an error type: never cached, and `nosniff`, so no browser renders a
 * message that repeats part of the request as anything but JSON.
 *
 * @example
 * ```ts
 * return errorResponse(new KitError('not_found', 'No route for GET /nope.'));
 * ```
 */
export function errorResponse(error: KitError): Response {
  return Response.json(error.toJSON(), {
    status: error.status,
    headers: { ...error.headers, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
}
