/**
 * The logger port. Call sites pass a short event name and a few plain fields; they never
 * pass a password, a token secret, an API key or a raw request body.
 *
 * @module
 */

/** Structured fields attached to a log line. Values must never be secrets. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Where the kit writes what happened. */
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Formats one log line as `event key=value ...`, readable in every platform console. */
export function formatLogLine(event: string, fields: LogFields = {}): string {
  const parts = [event];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join(' ');
}

/**
 * A logger over two sinks: one for information, one for problems. On Appwrite Functions these are
 * the context's `log` and `error`; elsewhere `console.log` and `console.error`.
 *
 * @example
 * ```ts
 * const logger = createLogger(console.log, console.error);
 * logger.warn('login_throttled', { route: 'login', retryAfter: 30 });
 * ```
 */
export function createLogger(
  info: (line: string) => void,
  problem: (line: string) => void = info,
): Logger {
  return {
    info: (event, fields) => info(formatLogLine(event, fields)),
    warn: (event, fields) => problem(formatLogLine(event, fields)),
    error: (event, fields) => problem(formatLogLine(event, fields)),
  };
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = createLogger(() => {});
