// The Workers test project: tests run inside workerd (the real Workers runtime) next to the Worker
// from wrangler.toml, which talks to the Appwrite double that global-setup.ts serves from Node.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { unstable_readConfig } from 'wrangler';
import { defineConfig } from 'vitest/config';

const configPath = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

// The plugin builds the Worker with Vite, which ignores wrangler's [alias]: apply the same aliases
// here, read from wrangler.toml so the tests can never run a different undici than deployments.
const wranglerAliases: Record<string, string> = unstable_readConfig({ config: configPath }).alias ?? {};
const alias = Object.fromEntries(
  Object.entries(wranglerAliases).map(([name, target]) => [name, resolve(dirname(configPath), target)]),
);

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath },
      miniflare: {
        // Override [vars]: point the Worker at the double. The key exists only for this test run.
        bindings: {
          APPWRITE_ENDPOINT: inject('appwriteEndpoint'),
          APPWRITE_PROJECT_ID: inject('appwriteProjectId'),
          APPWRITE_API_KEY: inject('appwriteApiKey'),
        },
      },
    })),
  ],
  resolve: { alias },
  test: {
    name: 'workers',
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
