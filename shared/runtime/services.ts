/**
 * Builds a runtime's {@link RuntimeServices} from factories, each run at most once and only when a
 * port asks for it.
 *
 * @module
 */
import type { RuntimeServices } from '../platform.js';

/**
 * What a runtime adapter supplies: the services themselves, with the building methods as factories
 * (called lazily, their results kept) and `fetch` optional (the platform's by default).
 */
export type RuntimeServiceFactories = Omit<RuntimeServices, 'fetch' | 'development' | 'notice'> & {
  fetch?: RuntimeServices['fetch'];
  /** Default `false`. */
  development?: boolean;
};

/** Services plus the notices ports gave while building (for `/health`). */
export type RuntimeServicesWithNotices = RuntimeServices & { readonly notices: readonly string[] };

function memo<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/**
 * @example
 * ```ts
 * const runtime = createRuntimeServices({ kind: 'node', env, logger, clock: systemClock,
 *   appwrite: () => connection, rateLimitStore: () => createMemoryStore(), onceStore: () => createMemoryOnceStore() });
 * ```
 */
export function createRuntimeServices(factories: RuntimeServiceFactories): RuntimeServicesWithNotices {
  const notices: string[] = [];
  return {
    kind: factories.kind,
    development: factories.development ?? false,
    notices,
    notice(message) {
      if (notices.includes(message)) return;
      notices.push(message);
      factories.logger.warn('notice', { message });
    },
    env: factories.env,
    logger: factories.logger,
    clock: factories.clock,
    appwrite: memo(factories.appwrite),
    rateLimitStore: memo(factories.rateLimitStore),
    onceStore: memo(factories.onceStore),
    // Looked up per call, so a test that replaces globalThis.fetch is honoured.
    fetch: factories.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    signal: factories.signal,
    developmentOutbox: factories.developmentOutbox,
  };
}
