/**
 * `npm run build:appwrite`: bundles each function's Appwrite entry (`functions/<name>/appwrite.ts`)
 * into `dist/appwrite/<name>.js`, the `entrypoint` open-runtimes loads.
 *
 * Everything is bundled into one ESM file except native addons: `@node-rs/argon2` picks its
 * prebuilt binary for the machine at run time (musl on Appwrite's Alpine images), so it stays
 * in `node_modules`, which Appwrite's builder packs along with `dist/`.
 *
 * Runs on Appwrite's builder after `npm ci` (see `commands` in `appwrite.json`), and locally.
 *
 * @example
 * ```sh
 * npm run build:appwrite            # every function
 * npm run build:appwrite -- password
 * ```
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'appwrite');

/** Packages with native code: resolved from `node_modules` at run time, never bundled. */
const nativePackages = ['@node-rs/argon2', '@node-rs/argon2-*'];

const requested = process.argv.slice(2);
const entries = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'functions', entry.name, 'appwrite.ts')))
  .map((entry) => entry.name)
  .filter((name) => requested.length === 0 || requested.includes(name));

const unknown = requested.filter((name) => !entries.includes(name));
if (unknown.length > 0 || entries.length === 0) {
  console.error(`No Appwrite entry (functions/<name>/appwrite.ts) for: ${unknown.join(', ') || 'any function'}`);
  process.exit(1);
}

if (requested.length === 0) rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(entries.map((name) => [name, `functions/${name}/appwrite.ts`])),
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: nativePackages,
  // open-runtimes may load the entry with require(); a module with top-level await cannot be.
  supported: { 'top-level-await': false },
  // Bundled CommonJS dependencies call require() for Node built-ins; ESM has none of its own.
  banner: { js: "import { createRequire as __kitCreateRequire } from 'node:module';\nconst require = __kitCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});

for (const name of entries) {
  const file = join(outdir, `${name}.js`);
  console.log(`${relative(root, file)}  ${(statSync(file).size / 1024).toFixed(0)} KiB`);
}
