/**
 * The kit's client for browsers, React Native and Node 22: one typed method per route of every kit
 * function (`client.password.login({ username, password })`), each finishing the sign-in with the
 * Appwrite `Account` it is given. It needs `fetch` and nothing else; `appwrite` (or
 * `react-native-appwrite`) is the app's own, passed in.
 *
 * - A route that answers the token secret signs in: the method opens the session
 *   (`account.createSession({ userId, secret })`) and resolves to the user (`account.get()`); the
 *   secret never reaches the app.
 * - A route that sends a code out of band resolves to `{ userId, expire, complete(code) }`;
 *   `complete` opens the session with the code the user received and resolves to the user.
 * - A redirect route (a sign-in page elsewhere) answers the URL to open, without a request.
 * - Any other route resolves to its JSON, or nothing for a 204.
 *
 * Every failure is a {@link KitClientError}, the kit's and Appwrite's alike.
 *
 * @module
 */
import { kitRoutes } from './routes.generated.js';
import type { CallOptions, ClientRoute, FunctionName, KitClient, SessionAccount } from './types.js';

export type { AnswerKind, CallOptions, FunctionName, KitClient, PendingSignIn, RouteInput, RouteResult, SessionAccount } from './types.js';

/**
 * Every failure of a client method: the kit's answer (`type` as the kit documents it, e.g.
 * `invalid_credentials`, `rate_limited`), Appwrite's when opening the session failed (e.g.
 * `user_invalid_token` for a wrong code), `network_error` when nothing answered, `aborted` when the
 * call's signal fired, `unexpected_response` for an answer that is not the kit's.
 *
 * @example
 * ```ts
 * try {
 *   await kit.password.login({ username, password });
 * } catch (error) {
 *   if (error instanceof KitClientError && error.type === 'rate_limited') wait(error.retryAfter);
 * }
 * ```
 */
export class KitClientError extends Error {
  override readonly name = 'KitClientError';

  constructor(
    /** Stable and machine-readable: branch on it, never on `message`. */
    readonly type: string,
    message: string,
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    /** Seconds to wait before trying again (`Retry-After`), when the answer said; otherwise `null`. */
    readonly retryAfter: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link createKitClient}. */
export interface KitClientOptions<User> {
  /**
   * Where the functions are: one base URL serving each under `/<name>` (`npm start`, the Worker), or
   * each function's own base URL (Appwrite Functions: a domain per function, routes at its root).
   */
  url: string | Partial<Record<FunctionName, string>>;
  /** The app's Appwrite `Account`: sessions are opened with it and the user read from it. */
  account: SessionAccount<User>;
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date. */
function secondsFrom(header: string | null): number | null {
  if (header === null) return null;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** The kit's error shape, or `unexpected_response` for an answer that is not in it (a proxy's page). */
async function errorOf(response: Response): Promise<KitClientError> {
  const body = (await response.json().catch(() => null)) as { type?: unknown; message?: unknown } | null;
  const kit = typeof body?.type === 'string' && typeof body.message === 'string';
  return new KitClientError(
    kit ? (body.type as string) : 'unexpected_response',
    kit ? (body.message as string) : `The server answered ${response.status} without the kit's error shape.`,
    response.status,
    secondsFrom(response.headers.get('retry-after')),
  );
}

/** An Appwrite SDK failure as a `KitClientError`, keeping Appwrite's type and status. */
function fromAppwrite(error: unknown): KitClientError {
  const { type, code, message } = (error ?? {}) as { type?: unknown; code?: unknown; message?: unknown };
  return new KitClientError(
    typeof type === 'string' && type ? type : 'appwrite_error',
    typeof message === 'string' ? message : 'Appwrite refused the session.',
    typeof code === 'number' ? code : 0,
    null,
    { cause: error },
  );
}

/** `a=1&b=2`, encoded the same way in every runtime (React Native's `URLSearchParams` is partial). */
function encoded(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/**
 * Creates the client: `kit.<function>.<route>(input)` for every route the server declares.
 *
 * @example
 * ```ts
 * import { Account, Client } from 'appwrite';
 * import { createKitClient } from './client/index.js';
 *
 * const account = new Account(new Client().setEndpoint('https://cloud.appwrite.io/v1').setProject('my-project'));
 * const kit = createKitClient({ url: 'https://auth.example.com', account });
 * const user = await kit.password.login({ username: 'ada', password: 'correct horse battery' });
 * const pending = await kit.captcha.email({ email: 'ada@example.com', captchaToken });
 * const sameUser = await pending.complete(codeFromTheEmail);
 * ```
 */
export function createKitClient<User>(options: KitClientOptions<User>): KitClient<User> {
  return createRouteClient(kitRoutes, options) as KitClient<User>;
}

/**
 * The client over any route table of the generated shape: what {@link createKitClient} builds on
 * with the kit's own table. Untyped beyond the table; for tests and tools.
 *
 * @example
 * ```ts
 * const client = createRouteClient({ hello: { greet: { method: 'POST', path: '/greet', answer: 'json', body: 'json' } } }, { url, account });
 * await (client.hello!.greet as (input: object) => Promise<unknown>)({ name: 'Ada' });
 * ```
 */
export function createRouteClient<User>(
  routes: Readonly<Record<string, Readonly<Record<string, ClientRoute>>>>,
  { url, account }: { url: string | Readonly<Record<string, string | undefined>>; account: SessionAccount<User> },
): Record<string, Record<string, unknown>> {
  const baseOf = (fn: string, path: string) => {
    const own = typeof url === 'string' ? undefined : url[fn];
    if (typeof url !== 'string' && own === undefined) throw new KitClientError('client_config', `No URL for the ${fn} function.`, 0);
    // Mounted, a function's `/` is `/<name>` itself.
    return own === undefined ? `${(url as string).replace(/\/+$/, '')}/${fn}${path === '/' ? '' : path}` : `${own.replace(/\/+$/, '')}${path}`;
  };

  const signIn = async (userId: string, secret: string): Promise<User> => {
    try {
      await account.createSession({ userId, secret });
      return await account.get();
    } catch (error) {
      throw fromAppwrite(error);
    }
  };

  /** The request's URL (query included) and the fields left for its body. */
  const target = (fn: string, route: ClientRoute, input: Record<string, unknown>) => {
    const inQuery = (name: string) => (route.query ?? []).includes(name);
    const query = encoded(Object.fromEntries(Object.entries(input).filter(([name]) => inQuery(name))));
    return { url: `${baseOf(fn, route.path)}${query ? `?${query}` : ''}`, fields: Object.fromEntries(Object.entries(input).filter(([name]) => !inQuery(name))) };
  };

  const call = async (fn: string, route: ClientRoute, input: Record<string, unknown>, { signal }: CallOptions = {}) => {
    const { url: address, fields } = target(fn, route, input);
    const form = route.body === 'form';
    const init: RequestInit = { method: route.method, signal: signal ?? null };
    if (route.body !== 'none') {
      init.headers = { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' };
      init.body = form ? encoded(fields) : JSON.stringify(fields);
    }
    let response: Response;
    try {
      response = await fetch(address, init);
    } catch (error) {
      if (signal?.aborted) throw new KitClientError('aborted', 'The call was abandoned.', 0, null, { cause: error });
      throw new KitClientError('network_error', 'The server could not be reached.', 0, null, { cause: error });
    }
    if (!response.ok) throw await errorOf(response);
    if (route.answer === 'empty') return undefined;
    const answer = (await response.json().catch(() => null)) as { userId?: unknown; secret?: unknown; expire?: unknown } | null;
    if (route.answer === 'json') return answer;
    const { userId, secret, expire } = answer ?? {};
    if (typeof userId !== 'string' || typeof (route.answer === 'session' ? secret : expire) !== 'string') {
      throw new KitClientError('unexpected_response', 'The sign-in answer lacks its user ID, secret or expiry.', response.status);
    }
    if (route.answer === 'session') return signIn(userId, secret as string);
    return { userId, expire, complete: (code: string) => signIn(userId, code) };
  };

  const client: Record<string, Record<string, unknown>> = {};
  for (const [fn, table] of Object.entries(routes)) {
    const methods: Record<string, unknown> = (client[fn] = {});
    for (const [name, route] of Object.entries(table)) {
      const takesInput = route.body !== 'none' || (route.query ?? []).length > 0;
      // A redirect is a page to open, not a request: its URL, at once.
      methods[name] =
        route.answer === 'redirect'
          ? (input: Record<string, unknown> = {}) => target(fn, route, input).url
          : takesInput
            ? (input: Record<string, unknown>, options?: CallOptions) => call(fn, route, input, options)
            : (options?: CallOptions) => call(fn, route, {}, options);
    }
  }
  return client;
}
