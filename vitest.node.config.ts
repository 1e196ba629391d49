import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The `node` test project: every test that runs in Node, next to the Workers projects in
 * vitest.config.ts. Its own file too, because Stryker's vitest runner cannot pick a project and
 * mutants only switch on inside Node (stryker.vitest.config.ts builds on it).
 *
 * @example
 * ```ts
 * export default defineConfig({ test: { projects: [nodeProject, 'test/workers/vitest.config.ts'] } });
 * ```
 */
export const nodeProject = {
  test: {
    name: 'node',
    include: ['test/**/*.test.ts'],
    exclude: ['test/workers/**', 'test/workers-rate-limit/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
} satisfies TestProjectInlineConfiguration;

export default defineConfig(nodeProject);
