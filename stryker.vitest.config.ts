import { defineConfig } from 'vitest/config';
import { nodeProject } from './vitest.node.config.js';

/**
 * The tests Stryker runs (stryker.config.mjs): the `node` project without the tests that drive
 * chromium or check what a build bundles. Those load the whole kit but check the page, the client
 * and the bundles, none of which is mutated, so they only made every mutant's run slower.
 *
 * @example
 * ```ts
 * // stryker.config.mjs
 * vitest: { configFile: 'stryker.vitest.config.ts' }
 * ```
 */
export default defineConfig({
  test: {
    ...nodeProject.test,
    exclude: [...nodeProject.test.exclude, 'test/browser/**', 'test/bench-smoke.test.ts', 'test/workers-build.test.ts', 'test/worker-size.test.ts'],
  },
});
