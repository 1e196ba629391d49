/**
 * Appwrite's error shape for the embedded Appwrite double: `{ message, code, type, version }`, with
 * the type strings and default messages of Appwrite's `app/config/errors.php`, so `node-appwrite`
 * raises the same `AppwriteException` (same `code` and `type`) as against a real server.
 *
 * @module
 */

/** The server version the double answers as (`APP_VERSION_STABLE` of the Appwrite it imitates). */
export const APPWRITE_VERSION = '1.9.6';

/** The Appwrite error types the double can raise, with their HTTP status and default message. */
export const appwriteErrors = {
  general_unknown: [500, 'Server Error'],
  general_route_not_found: [404, 'The requested route was not found. Please refer to the API docs and try again.'],
  general_argument_invalid: [400, 'The request contains one or more invalid arguments. Please refer to the endpoint documentation.'],
  general_query_invalid: [400, "The query's syntax is invalid. Please check the query and try again."],
  general_unauthorized_scope: [401, 'The current user or API key does not have the required scopes to access the requested resource.'],
  general_rate_limit_exceeded: [429, 'Rate limit for the current endpoint has been exceeded. Please try again after some time.'],
  general_unknown_origin: [
    403,
    'The request originated from an unknown origin. If you trust this domain, please list it as a trusted platform in the Appwrite console.',
  ],
  project_not_found: [
    404,
    'Project with the requested ID could not be found. Please check the value of the X-Appwrite-Project header to ensure the correct project ID is being used.',
  ],
  user_unauthorized: [401, 'The current user is not authorized to perform the requested action.'],
  user_not_found: [404, 'User with the requested ID could not be found.'],
  user_already_exists: [409, 'A user with the same id, email, or phone already exists in this project.'],
  user_email_already_exists: [409, 'A user with the same email already exists in the current project.'],
  user_phone_already_exists: [409, 'A user with the same phone number already exists in the current project.'],
  user_invalid_token: [401, 'Invalid token passed in the request.'],
  // 403 since Appwrite 1.9 (errors.php, "Change blocked user/resource errors from 401 to 403", 2026-03).
  user_blocked: [403, 'The current user has been blocked.'],
  user_session_already_exists: [401, 'Creation of a session is prohibited when a session is active.'],
  user_session_not_found: [404, 'The current user session could not be found.'],
  user_jwt_invalid: [401, 'The JWT token is invalid. Please check the value of the X-Appwrite-JWT header to ensure the correct token is being used.'],
  user_jwt_and_cookie_set: [403, 'Cannot use both JWT and cookies at the same time.'],
  password_recently_used: [
    400,
    'The password you are trying to use is similar to your previous password. For your security, please choose a different password and try again.',
  ],
  password_personal_data: [
    400,
    'The password you are trying to use contains references to your name, email, phone or userID. For your security, please choose a different password and try again.',
  ],
  database_not_found: [404, 'Database not found.'],
  table_not_found: [404, 'Table with the requested ID could not be found.'],
  row_not_found: [404, 'Row with the requested ID could not be found.'],
  row_already_exists: [409, 'Row with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.'],
  row_invalid_structure: [400, 'The row structure is invalid. Please ensure the columns match the table definition.'],
  column_not_found: [404, 'Column with the requested ID could not be found.'],
  column_limit_exceeded: [400, 'The maximum number or size of columns for this table has been reached.'],
  attribute_type_invalid: [400, 'The attribute type is invalid.'],
  storage_bucket_not_found: [404, 'Storage bucket with the requested ID could not be found.'],
  message_not_found: [404, 'Message with the requested ID could not be found.'],
  message_already_exists: [
    409,
    'Message with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.',
  ],
  message_missing_target: [400, 'Message with the requested ID has no recipients (topics or users or targets).'],
  message_target_not_email: [400, 'Message with the target ID is not an email target.'],
  message_target_not_sms: [400, 'Message with the target ID is not an SMS target.'],
} as const satisfies Record<string, readonly [number, string]>;

/** An Appwrite error type known to the double. */
export type AppwriteErrorType = keyof typeof appwriteErrors;

/** The JSON body of every error the double answers with (Appwrite's production shape). */
export interface AppwriteErrorBody {
  message: string;
  code: number;
  type: AppwriteErrorType;
  version: string;
}

/**
 * An error a route of the double throws; the app's error handler turns it into Appwrite's body.
 *
 * @example
 * ```ts
 * throw new AppwriteError('user_not_found');
 * throw new AppwriteError('general_argument_invalid', 'Invalid `length` param: Value must be a valid range between 4 and 128');
 * ```
 */
export class AppwriteError extends Error {
  override readonly name = 'AppwriteError';
  readonly code: number;

  constructor(
    readonly type: AppwriteErrorType,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    const [code, description] = appwriteErrors[type];
    super(message ?? description);
    this.code = code;
  }

  /** The body Appwrite would send for this error. */
  toBody(): AppwriteErrorBody {
    return { message: this.message, code: this.code, type: this.type, version: APPWRITE_VERSION };
  }

  /** The complete HTTP response. */
  toResponse(): Response {
    return Response.json(this.toBody(), { status: this.code, headers: this.headers });
  }
}

/**
 * The 400 Appwrite answers when one parameter fails its validator, worded like Appwrite's
 * ``Invalid `name` param: <validator description>`` so callers can tell which parameter it was.
 *
 * @example
 * ```ts
 * throw invalidParam('password', 'Password must be between 8 and 256 characters long.');
 * ```
 */
export function invalidParam(name: string, description: string): AppwriteError {
  return new AppwriteError('general_argument_invalid', `Invalid \`${name}\` param: ${description}`);
}
