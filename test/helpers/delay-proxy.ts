/**
 * A loopback proxy in front of the embedded Appwrite that holds every call for a fixed delay, as a
 * distant Appwrite would, and records when each call arrived and when its answer left. From those
 * times {@link sequentialRoundTrips} counts the round trips a request waited for one after another:
 * calls sent together overlap and count once, a call sent after another's answer counts again.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';

/** One call through the proxy; times are `performance.now()` of this process. */
export interface ProxiedCall {
  method: string;
  /** The path without the query, e.g. `/v1/users/u1/tokens`. */
  path: string;
  startedAt: number;
  /** When the answer left the proxy; `null` while the call is held. */
  endedAt: number | null;
}

/** A running proxy. */
export interface DelayProxy {
  /** The Appwrite endpoint to give a function: the proxy's origin and `/v1`. */
  endpoint: string;
  /** Every call so far, in order of arrival; empty it (`calls.length = 0`) to start counting afresh. */
  calls: ProxiedCall[];
  /** Resolves once no call has been held or arrived for `quietMs` (rejects after 30 s). */
  quiet(quietMs: number): Promise<void>;
  close(): Promise<void>;
}

const hopHeaders = ['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'];

/**
 * Starts a proxy on 127.0.0.1 that forwards to `target` (an origin, e.g. `http://127.0.0.1:4321`)
 * after holding each call for `delayMs`.
 *
 * @example
 * ```ts
 * const proxy = await startDelayProxy(doubleOrigin, 25);
 * const entry = createAppwriteEntry(passwordFunction, { env: { APPWRITE_FUNCTION_API_ENDPOINT: proxy.endpoint, ... } });
 * ```
 */
export async function startDelayProxy(target: string, delayMs: number): Promise<DelayProxy> {
  const calls: ProxiedCall[] = [];
  let held = 0;
  let lastActivity = performance.now();
  const server: ServerType = serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const call: ProxiedCall = { method: request.method, path: url.pathname, startedAt: performance.now(), endedAt: null };
      calls.push(call);
      held += 1;
      lastActivity = call.startedAt;
      try {
        const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const headers = new Headers(request.headers);
        for (const name of hopHeaders) headers.delete(name);
        const upstream = await fetch(new URL(`${url.pathname}${url.search}`, target), { method: request.method, headers, body });
        const answerHeaders = new Headers(upstream.headers);
        for (const name of hopHeaders) answerHeaders.delete(name);
        // A 204 (deleteRow) must have no body at all, not an empty one.
        const answer = upstream.status === 204 ? null : await upstream.arrayBuffer();
        return new Response(answer, { status: upstream.status, headers: answerHeaders });
      } finally {
        held -= 1;
        call.endedAt = performance.now();
        lastActivity = call.endedAt;
      }
    },
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    calls,
    async quiet(quietMs) {
      const giveUp = performance.now() + 30_000;
      while (held > 0 || performance.now() - lastActivity < quietMs) {
        if (performance.now() > giveUp) throw new Error('Appwrite never went quiet');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/**
 * The round trips a request waited for one after another: the longest chain of calls in which each
 * started after the one before it had answered. Only calls answered by `answeredAt` (when the
 * request's own answer came, `performance.now()`) count: work left running after the answer, such
 * as giving back counted hits, did not delay it.
 *
 * @example
 * ```ts
 * proxy.calls.length = 0;
 * await invokeOpenRuntimes(entry, login);
 * sequentialRoundTrips(proxy.calls, performance.now()); // 3: increments together, users.get, clears with createToken
 * ```
 */
export function sequentialRoundTrips(calls: readonly ProxiedCall[], answeredAt = Infinity): number {
  const waitedFor = calls
    .filter((call): call is ProxiedCall & { endedAt: number } => call.endedAt !== null && call.endedAt <= answeredAt)
    .sort((a, b) => a.startedAt - b.startedAt);
  const depth: number[] = [];
  waitedFor.forEach((call, index) => {
    let before = 0;
    for (let earlier = 0; earlier < index; earlier++) {
      if (waitedFor[earlier]!.endedAt <= call.startedAt) before = Math.max(before, depth[earlier]!);
    }
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}
