/**
 * Cold starts on Appwrite Functions (issue 8, goal 5): each function's bundle as
 * `npm run build:appwrite` makes it, loaded in a fresh `node` the way open-runtimes loads an
 * entrypoint (require(), then import() on ERR_REQUIRE_ESM), and asked one request.
 *
 * Two figures per bundle, medians over fresh processes: the module import alone (goal <= 100 ms),
 * and process start to the first answer (Node's own start, the import, building the function's app
 * from its variables, one request that touches no Appwrite). Node's start with an empty script is a
 * row of its own, so the kit's share reads as the difference.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchRow, BenchSection } from '../table.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so a bundle's one external import (`@node-rs/argon2`) resolves from `node_modules` as on Appwrite. */
const outdir = 'dist/bench/appwrite';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Variables each function needs to build its app; the endpoint is a closed port (no call is made). */
const common = { APPWRITE_FUNCTION_API_ENDPOINT: 'http://127.0.0.1:9/v1', APPWRITE_FUNCTION_PROJECT_ID: 'kit-bench', APPWRITE_API_KEY: 'bench-key' };
const captcha = { CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 'bench-captcha-secret' };
const envs: Record<string, Record<string, string>> = {
  password: {},
  captcha,
  auth0: { AUTH0_ISSUER: 'https://tenant.example.com/', AUTH0_AUDIENCE: 'https://api.example.com', AUTH0_CLIENT_ID: 'bench-client' },
  'phone-call': {
    ...captcha,
    VOICE_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: `AC${'a1'.repeat(16)}`,
    TWILIO_API_KEY_SID: `SK${'b2'.repeat(16)}`,
    TWILIO_API_KEY_SECRET: 'bench-twilio-secret',
    TWILIO_FROM_NUMBER: '+14155550100',
    PHONE_CALL_COUNTRIES: 'US',
  },
  passkey: { PASSKEY_RP_ID: 'example.com', PASSKEY_RP_NAME: 'Example', PASSKEY_ORIGINS: 'https://example.com', PASSKEY_CHALLENGE_SECRET: 'bench-passkey-challenge-secret-0123456789' },
};

/**
 * Runs in a fresh `node`: loads the bundle as open-runtimes' server.js does, calls its default
 * export with an open-runtimes-shaped context, and prints the timings. `performance.now()` counts
 * from the process's start.
 */
const loader = `
const file = process.argv[1];
const beforeImport = performance.now();
(async () => {
  let mod;
  try { mod = require(file); } catch (error) {
    if (error.code !== 'ERR_REQUIRE_ESM') throw error;
    mod = await import(file);
  }
  const imported = performance.now();
  const fn = mod.default || mod;
  const res = {
    text(body, statusCode = 200, headers = {}) { return this.binary(Buffer.from(body, 'utf8'), statusCode, headers); },
    binary(bytes, statusCode = 200, headers = {}) { return { body: bytes, statusCode, headers }; },
  };
  const req = { method: 'GET', path: '/bench-cold-start', queryString: '', url: 'http://localhost/bench-cold-start', scheme: 'http', host: 'localhost', port: 80,
    headers: { host: 'localhost' }, bodyBinary: Buffer.alloc(0), bodyText: '' };
  const logs = [];
  const output = await fn({ req, res, log: (m) => logs.push(m), error: (m) => logs.push(m) });
  const answered = performance.now();
  console.log(JSON.stringify({ importMs: imported - beforeImport, firstAnswerMs: answered, status: output.statusCode, body: Buffer.from(output.body).toString('utf8'), logs }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function coldStart(bundle: string, env: Record<string, string>) {
  const { stdout } = await run(process.execPath, ['-e', loader, bundle], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...common, ...env } });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as { importMs: number; firstAnswerMs: number; status: number; body: string; logs: string[] };
  // An unknown path answers 404 only once the app is built: anything else means the variables are wrong.
  if (result.status !== 404) throw new Error(`${bundle} answered ${result.status}: ${result.body} ${result.logs.join(' ')}`);
  return result;
}

async function nodeStart(): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', 'console.log(performance.now())'], { cwd: root });
  return Number(stdout.trim());
}

const section: BenchSection = {
  title: 'Cold starts',
  async measure({ quick }) {
    await run(process.execPath, ['scripts/build-appwrite.mjs', '--outdir', outdir], { cwd: root });
    const names = readdirSync(`${root}${outdir}`)
      .filter((file) => file.endsWith('.js'))
      .map((file) => file.slice(0, -3))
      .sort();
    const missing = names.filter((name) => !envs[name]);
    if (missing.length > 0) throw new Error(`no variables for ${missing.join(', ')}: add them to bench/sections/cold-starts.ts`);

    const runs = quick ? 1 : 7;
    const imports = new Map<string, number[]>(names.map((name) => [name, []]));
    const answers = new Map<string, number[]>(names.map((name) => [name, []]));
    const starts: number[] = [];
    // Round-robin, so drift on a shared machine spreads over every bundle alike.
    for (let i = 0; i < runs; i++) {
      starts.push(await nodeStart());
      for (const name of names) {
        const result = await coldStart(`${root}${outdir}/${name}.js`, envs[name]!);
        imports.get(name)!.push(result.importMs);
        answers.get(name)!.push(result.firstAnswerMs);
      }
    }

    const rows: BenchRow[] = [{ runtime: 'Appwrite', figure: 'node start, empty script (baseline)', value: median(starts), unit: 'ms' }];
    for (const [index, name] of names.entries()) {
      rows.push(
        {
          runtime: 'Appwrite',
          figure: `${name}: bundle import`,
          value: median(imports.get(name)!),
          unit: 'ms',
          goal: { max: 100 },
          ...(index === 0
            ? {
                note:
                  `medians of ${runs} fresh processes. What the import still parses and runs: zod (classic build, ~180 KB), node-appwrite ` +
                  '(~220 KB: its Users and TablesDB services) and hono, plus each function’s own (the passkey one: @simplewebauthn/server and its ' +
                  'X.509/ASN.1 stack, ~600 KB; phone-call: libphonenumber-js metadata)',
              }
            : {}),
        },
        {
          runtime: 'Appwrite',
          figure: `${name}: process start to first answer`,
          value: median(answers.get(name)!),
          unit: 'ms',
          ...(index === 0
            ? {
                note:
                  'Node’s start, the import, the app built from its variables, one request that calls no Appwrite. The first Request ' +
                  'initialises Node’s built-in fetch (undici), which the adapter and node-appwrite both need: tens of ms, more on a busy machine',
              }
            : {}),
        },
      );
    }
    return rows;
  },
};

export default section;
