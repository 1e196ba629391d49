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
export type RuntimeServiceFactories = Omit<RuntimeServices, 'fetch'> & { fetch?: RuntimeServices['fetch'] };

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
export function createRuntimeServices(factories: RuntimeServiceFactories): RuntimeServices {
  return {
    kind: factories.kind,
    env: factories.env,
    logger: factories.logger,
    clock: factories.clock,
    appwrite: memo(factories.appwrite),
    rateLimitStore: memo(factories.rateLimitStore),
    onceStore: memo(factories.onceStore),
    // Looked up per call, so a test that replaces globalThis.fetch is honoured.
    fetch: factories.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}
