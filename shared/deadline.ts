/**
 * Abandoned requests: work whose answer has already gone out must stop changing state.
 *
 * A request is abandoned when its signal aborts. On Appwrite Functions the entry aborts it when
 * `REQUEST_TIMEOUT_MS` has passed, just before it answers 503 itself; on Node the server aborts it
 * when the client disconnects before the answer. JavaScript cannot stop a running promise, so the
 * work left behind goes on until its next check: every Appwrite call checks before it starts
 * (`callAppwrite`), and the sign-in pipeline before each step that changes state. A call already
 * sent is only stopped being waited for: Appwrite may still complete it.
 *
 * @module
 */
import { KitError } from './errors.js';
import type { Logger } from './log.js';

/**
 * What abandoned work stops with. Nobody reads it (the client already has its answer, or is gone);
 * it exists so the work unwinds through the usual error paths.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw requestAbandoned();
 * ```
 */
export function requestAbandoned(): KitError {
  return new KitError('appwrite_unavailable', 'The request was abandoned before it finished.');
}

/**
 * Throws {@link requestAbandoned} once `signal` has aborted, logging the step that will not run.
 * A missing signal (a runtime without a deadline) never throws.
 *
 * @example
 * ```ts
 * throwIfAbandoned(c.req.raw.signal, 'create_token', logger); // logs request_abandoned step="create_token"
 * const token = await issueToken(ports, user, settings);
 * ```
 */
export function throwIfAbandoned(signal: AbortSignal | undefined, step: string, logger: Logger): void {
  if (!signal?.aborted) return;
  logger.warn('request_abandoned', { step });
  throw requestAbandoned();
}
