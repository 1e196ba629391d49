import { defineConfig } from 'vitest/config';

// One `npm test`, several projects: each runtime's tests run where that runtime really runs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workers/**', 'test/workers-rate-limit/**', 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      'test/workers/vitest.config.ts',
      'test/workers-rate-limit/vitest.config.ts',
    ],
  },
});
