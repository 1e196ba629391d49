import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { replaceBetweenMarkers } from '../bench/index.js';

// `npm run bench` is not a timed test, but it must keep running as the kit changes (a new limit
// once made every benchmark login a 429). Every section, one short round; the figures themselves
// are not judged, only that each section printed rows of the one table.
describe('npm run bench', () => {
  it('runs every section with --quick and prints one table: runtime | figure | value | goal | met', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'bench', '--', '--quick'], { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout.split('\n');
    const header = lines.indexOf('| runtime | figure | value | goal | met |');
    expect(header).toBeGreaterThan(-1);
    expect(lines[header + 1]).toBe('|---|---|---|---|---|');
    const rows = lines.slice(header + 2, lines.indexOf('', header));
    const cells = rows.map((row) => row.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
    // A section that throws prints an error row instead (and the run exits non-zero).
    expect(cells.filter(([, figure]) => figure === 'section failed')).toEqual([]);
    for (const [runtime, figure, value, goal, met] of cells) {
      expect(runtime).not.toBe('');
      expect(figure).not.toBe('');
      expect(value).toMatch(/^-?\d+(\.\d+)? \S.*$/);
      expect(goal).toMatch(/^$|^(>=|<=) -?\d+(\.\d+)? [^,]+(, (>=|<=) -?\d+(\.\d+)? [^,]+)?$/);
      expect(met).toMatch(goal ? /^[✓✗]$/ : /^$/);
    }
    const figures = cells.map(([runtime, figure]) => `${runtime}: ${figure}`).join('\n');
    expect(figures).toMatch(/Node: password logins through npm start, \d+ in flight, vs raw argon2/);
    expect(figures).toMatch(/Appwrite: password: bundle import/);
    expect(figures).toMatch(/passkey: CPU per sign-in/);
  }, 900_000);
});

describe('--readme', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('rewrites only the text between the bench markers', () => {
    const rewritten = replaceBetweenMarkers(readme, '\nNEW TABLE\n');
    const start = readme.indexOf('<!-- bench:start');
    const startLineEnd = readme.indexOf('\n', start) + 1;
    const end = readme.indexOf('<!-- bench:end -->');
    expect(rewritten).toBe(`${readme.slice(0, startLineEnd)}NEW TABLE\n${readme.slice(end)}`);
  });

  it('refuses a README without the markers rather than appending anywhere', () => {
    expect(() => replaceBetweenMarkers('# Kit\n', 'x\n')).toThrow(/markers/);
  });
});
