/**
 * The client's size budget: at most 3 KB gzipped as an app's bundler would ship it (esbuild, minified,
 * `appwrite` left to the app), made only of `client/` files: no zod, no server code, no import of
 * anything at run time.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../client/index.ts', import.meta.url));
const budget = 3 * 1024;

describe('the client bundle', () => {
  it(`is at most ${budget} bytes gzipped, and only client/ code`, async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      external: ['appwrite'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).byteLength;
    console.log(`client bundle: ${code.byteLength} bytes minified, ${gzipped} gzipped`);
    expect(gzipped).toBeLessThanOrEqual(budget);
    expect(Object.keys(result.metafile.inputs).every((input) => input.startsWith('client/')), Object.keys(result.metafile.inputs).join(', ')).toBe(true);
    expect(new TextDecoder().decode(code)).not.toMatch(/\bimport\b/);
  });
});
