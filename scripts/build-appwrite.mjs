/**
 * `npm run build:appwrite`: bundles each function (`functions/<name>/index.ts`, whose default export
 * is its definition) with the Appwrite Functions adapter into `dist/appwrite/<name>.js`, the
 * `entrypoint` open-runtimes loads. The entry module is generated here, so a function folder needs
 * no Appwrite file of its own.
 *
 * Everything is bundled into one ESM file except native addons: `@node-rs/argon2` picks its
 * prebuilt binary for the machine at run time (musl on Appwrite's Alpine images), so it stays
 * in `node_modules`, which Appwrite's builder packs along with `dist/`. Only a function that asks
 * for the argon2 port imports it at all.
 *
 * Runs on Appwrite's builder after `npm ci` (see `commands` in `appwrite.json`), and locally.
 *
 * @example
 * ```sh
 * npm run build:appwrite                    # every function in functions/
 * npm run build:appwrite -- password        # one
 * node scripts/build-appwrite.mjs --outdir /tmp/out test/fixtures/hello   # a function folder elsewhere
 * ```
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Packages with native code: resolved from `node_modules` at run time, never bundled. */
const nativePackages = ['@node-rs/argon2', '@node-rs/argon2-*'];

const args = process.argv.slice(2);
const outdirIndex = args.indexOf('--outdir');
const outdir = outdirIndex === -1 ? join(root, 'dist', 'appwrite') : resolve(args[outdirIndex + 1] ?? '');
const requested = outdirIndex === -1 ? args : args.filter((_, index) => index !== outdirIndex && index !== outdirIndex + 1);

/** A name is a folder of functions/; a path (with a slash) is any function folder. */
const folderOf = (name) => (name.includes('/') ? resolve(name) : join(root, 'functions', name));
const all = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const folders = (requested.length > 0 ? requested : all).map(folderOf);

const missing = folders.filter((folder) => !existsSync(join(folder, 'index.ts')));
if (missing.length > 0 || folders.length === 0) {
  console.error(`No function (a folder with index.ts) at: ${missing.map((folder) => relative(root, folder)).join(', ') || 'functions/*'}`);
  process.exit(1);
}

if (requested.length === 0 && outdirIndex === -1) rmSync(outdir, { recursive: true, force: true });

const adapter = join(root, 'shared', 'runtime', 'appwrite.ts');
/** One generated entry per function: its definition, wrapped by the Appwrite adapter. */
const entryPlugin = {
  name: 'kit-appwrite-entries',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^kit-appwrite-entry:/ }, (args) => ({ path: args.path.slice('kit-appwrite-entry:'.length), namespace: 'kit-entry' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'kit-entry' }, (args) => ({
      resolveDir: root,
      loader: 'ts',
      contents: [
        `import definition from ${JSON.stringify(join(args.path, 'index.ts'))};`,
        `import { createAppwriteEntry } from ${JSON.stringify(adapter)};`,
        'export default createAppwriteEntry(definition);',
      ].join('\n'),
    }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(folders.map((folder) => [basename(folder), `kit-appwrite-entry:${folder}`])),
  plugins: [entryPlugin],
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: nativePackages,
  // node-appwrite imports undici for fetch; Node 22 has the same fetch built in, so the shim hands
  // that over instead of bundling ~770 KB that every cold start would parse (see undici-shim.ts).
  alias: { undici: './shared/runtime/undici-shim.ts' },
  // open-runtimes may load the entry with require(); a module with top-level await cannot be.
  supported: { 'top-level-await': false },
  // Bundled CommonJS dependencies call require() for Node built-ins; ESM has none of its own.
  banner: { js: "import { createRequire as __kitCreateRequire } from 'node:module';\nconst require = __kitCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});

for (const folder of folders) {
  const file = join(outdir, `${basename(folder)}.js`);
  console.log(`${relative(root, file)}  ${(statSync(file).size / 1024).toFixed(0)} KiB`);
}
