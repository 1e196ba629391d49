import { defineConfig } from 'vitest/config';
import { nodeProject } from './vitest.node.config.js';

// One `npm test`, several projects: each runtime's tests run where that runtime really runs.
export default defineConfig({
  test: {
    projects: [
      nodeProject,
      'test/workers/vitest.config.ts',
      'test/workers-rate-limit/vitest.config.ts',
    ],
  },
});
