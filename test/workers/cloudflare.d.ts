// The few workerd modules the Workers tests import, declared by hand: pulling
// @cloudflare/workers-types into the root typecheck would replace the DOM/Node globals everywhere.
declare module 'cloudflare:workers' {
  /** The main Worker's (wrangler.toml `main`) entrypoints, callable in-process. */
  export const exports: {
    default: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
  };
  /** The main Worker's bindings. */
  export const env: Readonly<Record<string, unknown>>;
}

declare module 'cloudflare:test' {
  import type { ExecutionContext } from 'hono';
  export function createExecutionContext(): ExecutionContext;
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>;
  /** Runs `callback` inside the Durable Object behind `stub`, with its state (SQLite storage). */
  export function runInDurableObject<Result>(
    stub: unknown,
    callback: (instance: unknown, state: { storage: { sql: { exec(query: string, ...bindings: (string | number | null)[]): unknown } } }) => Result | Promise<Result>,
  ): Promise<Result>;
}
