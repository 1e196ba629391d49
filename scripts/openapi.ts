/**
 * `npm run openapi`: writes the OpenAPI 3.1 documents of the kit's functions, for client
 * generators and API gateways that want a file rather than a running server.
 *
 * - `kit.json`: every function, mounted under `/<name>` with `GET /health`, as `npm start` and
 *   the Worker serve them (the same document as `GET /openapi.json`, without a server URL).
 * - `<name>.json` per function: its routes at the root, as its own Appwrite function serves them.
 *
 * @example
 * ```sh
 * npm run openapi                          # dist/openapi/kit.json, dist/openapi/password.json
 * npm run openapi -- --out /tmp/openapi    # somewhere else
 * ```
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kitFunctions } from '../functions/index.js';
import { openApiDocument } from '../shared/openapi.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const usage = 'Usage: npm run openapi [-- --out <dir>]';

const args = process.argv.slice(2);
let outdir = join(root, 'dist', 'openapi');
for (let index = 0; index < args.length; index++) {
  if (args[index] === '--out' && args[index + 1]) outdir = resolve(args[++index]!);
  else {
    console.error(`Unknown or incomplete argument ${args[index]}. ${usage}`);
    process.exit(1);
  }
}

// kit.json is the combined document: a function named kit would overwrite it.
if (kitFunctions.some((fn) => fn.name === 'kit')) {
  console.error('A function named "kit" would overwrite kit.json, the combined document; rename the function.');
  process.exit(1);
}

const documents: Array<[file: string, document: Record<string, unknown>]> = [
  ['kit.json', openApiDocument(kitFunctions, { mounted: true })],
  ...kitFunctions.map((fn): [string, Record<string, unknown>] => [`${fn.name}.json`, openApiDocument([fn], { mounted: false })]),
];

mkdirSync(outdir, { recursive: true });
for (const [file, document] of documents) {
  const path = join(outdir, file);
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  const shown = relative(process.cwd(), path);
  console.log(shown.startsWith('..') || isAbsolute(shown) ? path : shown);
}
