// The Workers project of the rate-limit and once-store layers: its tests run inside workerd, against
// the real RateLimitCounter and OnceRecord Durable Objects declared in ./wrangler.toml (SQLite
// storage, alarms).
// Run alone with: npx vitest run --project workers-rate-limit
import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: fileURLToPath(new URL('./wrangler.toml', import.meta.url)) } })],
  test: {
    name: 'workers-rate-limit',
    include: ['**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
