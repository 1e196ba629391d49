/**
 * `npm run openapi`, run as a user runs it: the files it writes, where, and that they validate.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { openApiDocument } from '../../shared/openapi.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let outdir: string;
let stdout: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'kit-openapi-'));
  ({ stdout } = await promisify(execFile)('npm', ['run', '--silent', 'openapi', '--', '--out', outdir], { cwd: root }));
}, 60_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('npm run openapi -- --out <dir>', () => {
  it('writes kit.json and one file per function, and prints each', async () => {
    const expected = ['kit.json', ...kitFunctions.map((fn) => `${fn.name}.json`)];
    expect((await readdir(outdir)).sort()).toEqual([...expected].sort());
    expect(stdout.trim().split('\n')).toEqual(expected.map((file) => join(outdir, file)));
  });

  it('kit.json: every function mounted, as npm start and the Worker serve them', async () => {
    const document = JSON.parse(await readFile(join(outdir, 'kit.json'), 'utf8')) as Record<string, unknown>;
    expect(document).toEqual(openApiDocument(kitFunctions, { mounted: true }));
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it.each(kitFunctions.map((fn) => [fn.name, fn] as const))('%s.json: its routes at the root, as its Appwrite function serves them', async (name, fn) => {
    const document = JSON.parse(await readFile(join(outdir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    expect(document).toEqual(openApiDocument([fn], { mounted: false }));
    expect(Object.keys(document['paths'] as object).every((path) => !path.startsWith(`/${name}/`))).toBe(true);
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('refuses an unknown argument', async () => {
    const failure = await promisify(execFile)('npm', ['run', '--silent', 'openapi', '--', '--outdir', outdir], { cwd: root }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('Unknown or incomplete argument --outdir');
  });
});
