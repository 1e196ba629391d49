// The Workers test project: tests run inside workerd (the real Workers runtime) next to the Worker
// from wrangler.toml, which talks to the embedded Appwrite of the `npm start` that global-setup.ts
// runs, configured with exactly the variables of .dev.vars.example, as `npx wrangler dev` would be.
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
        // Override [vars] with .dev.vars.example, as `wrangler dev` overrides them with .dev.vars
        // (parsed by global-setup.ts; a developer's own .dev.vars cannot change what is tested).
        bindings: inject('devVars'),
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
