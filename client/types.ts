/**
 * The client's types, derived from the route declarations the server itself serves
 * (`functions/<name>/routes.ts`, listed in `routes.generated.ts`): a route's body and query become a
 * method's input, its success answer the method's result. Types only: nothing here reaches a bundle.
 *
 * @module
 */
import type { z } from 'zod';
import type { KitRouteTables } from './routes.generated.js';

/**
 * What the client needs of an Appwrite `Account` (the `appwrite` web SDK's, or React Native's): to
 * open a session from a token and read the signed-in user.
 */
export interface SessionAccount<User> {
  createSession(params: { userId: string; secret: string }): Promise<unknown>;
  get(): Promise<User>;
}

/** What a route's answer means to the client (`npm run client:routes` reads the same from each declaration). */
export type AnswerKind = 'session' | 'pending' | 'redirect' | 'empty' | 'json';

type Answers<Route> = Route extends { answers: infer Declared } ? Declared : never;
type SchemaOf<Answer> = Answer extends { schema: infer Schema extends z.ZodType } ? Schema : never;
type Carries<Answer, Fields> = [SchemaOf<Answer>] extends [never] ? false : z.output<SchemaOf<Answer>> extends Fields ? true : false;

/**
 * A route's {@link AnswerKind}: a 200 carrying the token secret signs in; a 202 with a user ID sent
 * the secret out of band; a 302 is a page to open; a 204 is nothing; any other answer is its JSON.
 */
export type AnswerKindOf<Route> = 302 extends keyof Answers<Route>
  ? 'redirect'
  : 202 extends keyof Answers<Route>
    ? Carries<Answers<Route>[202], { userId: string; expire: string }> extends true
      ? 'pending'
      : 'json'
    : 200 extends keyof Answers<Route>
      ? Carries<Answers<Route>[200], { userId: string; secret: string }> extends true
        ? 'session'
        : 'json'
      : 204 extends keyof Answers<Route>
        ? 'empty'
        : 'json';

type BodyInput<Route> = Route extends { body: infer Body extends z.ZodType } ? z.input<Body> : unknown;
type QueryInput<Route> = Route extends { query: infer Query extends z.ZodType } ? z.input<Query> : unknown;

/** What a route's method takes: its body's fields and its query's, as the caller writes them. */
export type RouteInput<Route> = BodyInput<Route> & QueryInput<Route>;

/** Whether a route takes any input at all. */
type TakesInput<Route> = Route extends { body: z.ZodType } ? true : Route extends { query: z.ZodType } ? true : false;

/** The JSON of a route's one success answer that has a body. */
type AnswerJson<Route> = {
  [Status in keyof Answers<Route>]: SchemaOf<Answers<Route>[Status]> extends infer Schema extends z.ZodType ? z.output<Schema> : never;
}[keyof Answers<Route>];

/**
 * A sign-in whose code went out of band (email, SMS): `complete` opens the session with the code the
 * user received and resolves to the signed-in user.
 */
export interface PendingSignIn<User> {
  userId: string;
  /** ISO 8601 time after which the code no longer opens a session. */
  expire: string;
  complete(code: string): Promise<User>;
}

/** Per call: a signal to abandon the request (the method then rejects with a `KitClientError` of type `aborted`). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** What a route's method resolves to. */
export type RouteResult<Route, User> = {
  session: User;
  pending: PendingSignIn<User>;
  redirect: string;
  empty: void;
  json: AnswerJson<Route>;
}[AnswerKindOf<Route>];

/** One route's method. A redirect route answers a URL to open at once, without a request. */
export type RouteMethod<Route, User> =
  AnswerKindOf<Route> extends 'redirect'
    ? TakesInput<Route> extends true
      ? (input: RouteInput<Route>) => string
      : () => string
    : TakesInput<Route> extends true
      ? (input: RouteInput<Route>, options?: CallOptions) => Promise<RouteResult<Route, User>>
      : (options?: CallOptions) => Promise<RouteResult<Route, User>>;

/** The kit's function names, as the client knows them. */
export type FunctionName = keyof KitRouteTables & string;

/** Every route of every function, as methods: `client.password.login({ username, password })`. */
export type KitClient<User> = {
  [Name in FunctionName]: { [Route in keyof KitRouteTables[Name]]: RouteMethod<KitRouteTables[Name][Route], User> };
};

/** One route as the client calls it: what `npm run client:routes` writes for each declaration. */
export interface ClientRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  answer: AnswerKind;
  /** How the body goes: JSON, an HTML form, or no body. */
  body: 'json' | 'form' | 'none';
  /** The input fields that go in the query string rather than the body; none when absent. */
  query?: readonly string[];
}

/**
 * The shape the generated route table must have: one entry per declared route, its answer kind the
 * one the declaration's types say. A stale or hand-edited table fails to compile against it.
 */
export type ClientRouteTable = {
  [Name in FunctionName]: { [Route in keyof KitRouteTables[Name]]: ClientRoute & { answer: AnswerKindOf<KitRouteTables[Name][Route]> } };
};
