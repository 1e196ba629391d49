/**
 * argon2 in Wasm on Workers (issue 8, goal 3): one argon2id verification at Appwrite's parameters
 * (m=65536, t=4, p=3) inside workerd against one native verification, measured in the same run.
 * Goal: workerd's CPU <= 1.5 x the native CPU.
 *
 * - workerd: the kit's Workers verifier (`shared/passwords/wasm-argon2-workerd.ts`: libargon2 built
 *   with Wasm SIMD, from `@phi-ag/argon2`, a `.wasm` module import) in a one-route Worker
 *   (`bench/workers/argon2-verify.ts`) under wrangler's local dev server. Its CPU is the workerd
 *   process's, every thread, from Linux's per-thread scheduler statistics, around each request
 *   (wrangler's proxy in front runs in a workerd of its own, not counted: production has none).
 * - native, the baseline: `@node-rs/argon2` `verify` of the same PHC string in this process, its
 *   CPU counted the same way over every thread of this process. The Rust argon2 behind it computes
 *   the three lanes one after another on one libuv thread (per thread, a verification's CPU all
 *   lands on one pool thread); were it ever to spread them over threads, their sum would still be
 *   what is counted: one thread doing all the work.
 * - Rounds interleave native and workerd, and the figure is the median of the per-round ratios:
 *   the machine is shared, and what slows one round slows both sides of it.
 * - A whole password login (`POST /password/login` with the right password, 200 with a token)
 *   through the kit's Worker (`entries/worker.ts`, wrangler.toml) with npm start's embedded
 *   Appwrite behind it: workerd's CPU per login (argon2, the app, the rate-limit Durable Objects,
 *   the Appwrite client), against the same native verification. Appwrite's own work runs in
 *   another process and waiting for it costs no CPU, so neither is counted.
 *
 * @module
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { hash, verify } from '@node-rs/argon2';
import { unstable_dev, unstable_readConfig as readConfig } from 'wrangler';
import { readDevVarsExample } from '../../test/helpers/dotenv.js';
import { startNpmStart } from '../../test/helpers/npm-start.js';
import type { BenchRow, BenchSection } from '../table.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const APPWRITE_ARGON2 = { memoryCost: 65_536, timeCost: 4, parallelism: 3 };
const PASSWORD = 'correct horse battery staple';
const WARM_UPS = 2;

/** CPU time a process has used so far, every thread, in ms (`/proc/<pid>/task/<tid>/schedstat`, ns). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read: its time went with it.
    }
  }
  return ns / 1e6;
}

/** The workerd processes this process started (wrangler's dev server runs one as its child). */
function workerdChildren(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // `pid (comm) state ppid ...`
        const [, comm, rest] = /^\d+ \((.*)\) (.*)$/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8').trim()) ?? [];
        return comm === 'workerd' && Number(rest?.split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

interface Sample {
  cpuMs: number;
  wallMs: number;
}

async function measured(pid: number, run: () => Promise<void>): Promise<Sample> {
  const [cpu, started] = [cpuMs(pid), performance.now()];
  await run();
  return { cpuMs: cpuMs(pid) - cpu, wallMs: performance.now() - started };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Runs `use` with a Worker under wrangler's dev server, then stops it. `use` gets its URL and a
 * way to find the workerd process that runs it: wrangler runs its proxy in front in another one,
 * and starts the Worker's when it likes; after a first `probe`, the one whose CPU the next used.
 */
async function withWorker<T>(
  script: string,
  options: Parameters<typeof unstable_dev>[1],
  use: (url: string, workerdOf: (probe: () => Promise<void>) => Promise<number>) => Promise<T>,
): Promise<T> {
  const before = new Set(workerdChildren());
  const worker = await unstable_dev(script, {
    ip: '127.0.0.1',
    port: 0,
    logLevel: 'none',
    ...options,
    experimental: { disableExperimentalWarning: true, watch: false, disableDevRegistry: true, ...options?.experimental },
  });
  const workerdOf = async (probe: () => Promise<void>) => {
    await probe();
    const started = workerdChildren().filter((pid) => !before.has(pid));
    const cpuBefore = started.map(cpuMs);
    await probe();
    const [busiest] = started.map((pid, i) => ({ pid, ms: cpuMs(pid) - cpuBefore[i]! })).sort((a, b) => b.ms - a.ms);
    if (!busiest) throw new Error('wrangler dev started no workerd this process can see');
    return busiest.pid;
  };
  try {
    return await use(`http://${worker.address}:${worker.port}`, workerdOf);
  } finally {
    await worker.stop();
  }
}

/** Runs `rounds` interleaved pairs (native first) after warming both; answers each side's samples. */
async function interleaved(rounds: number, native: () => Promise<Sample>, workerd: () => Promise<Sample>): Promise<{ native: Sample[]; workerd: Sample[] }> {
  for (let i = 0; i < WARM_UPS; i++) {
    await native();
    await workerd();
  }
  const samples = { native: [] as Sample[], workerd: [] as Sample[] };
  for (let i = 0; i < rounds; i++) {
    samples.native.push(await native());
    samples.workerd.push(await workerd());
  }
  return samples;
}

/** The per-round ratio's median, and each side's median. */
function summarize(samples: { native: Sample[]; workerd: Sample[] }, key: keyof Sample) {
  return {
    ratio: median(samples.workerd.map((sample, i) => sample[key] / samples.native[i]![key])),
    workerd: median(samples.workerd.map((sample) => sample[key])),
    native: median(samples.native.map((sample) => sample[key])),
  };
}

async function expectStatus(response: Promise<Response>, status: number, what: string): Promise<void> {
  const answered = await response;
  const body = await answered.text();
  if (answered.status !== status) throw new Error(`${what} answered ${answered.status}, not ${status}: ${body.slice(0, 200)}`);
}

/** One verification, nothing else: the kit's Workers verifier in a one-route Worker. */
async function verificationRows(rounds: number, phc: string, nativeVerify: () => Promise<Sample>, state: string): Promise<BenchRow[]> {
  // A config of its own: wrangler would otherwise read the kit's wrangler.toml (its Durable Objects).
  const config = join(state, 'wrangler.json');
  const script = join(root, 'bench/workers/argon2-verify.ts');
  writeFileSync(config, JSON.stringify({ name: 'kit-bench-argon2', main: relative(state, script), compatibility_date: readConfig({ config: join(root, 'wrangler.toml') }).compatibility_date }));
  const verifyOnce = (url: string) => expectStatus(fetch(url, { method: 'POST', body: JSON.stringify({ phc, password: PASSWORD }) }), 200, 'the verify Worker');
  const samples = await withWorker(script, { config, persistTo: state }, async (url, workerdOf) => {
    const pid = await workerdOf(() => verifyOnce(url));
    return interleaved(rounds, nativeVerify, () => measured(pid, () => verifyOnce(url)));
  });
  const cpu = summarize(samples, 'cpuMs');
  const wall = summarize(samples, 'wallMs');
  return [
    {
      runtime: 'Workers',
      figure: 'argon2id verification in workerd / native, CPU (m=65536, t=4, p=3)',
      value: round(cpu.ratio, 2),
      unit: 'x',
      goal: { max: 1.5 },
      note: `median of ${rounds} interleaved rounds: libargon2 Wasm SIMD (@phi-ag/argon2) ${round(cpu.workerd)} ms vs @node-rs/argon2 ${round(cpu.native)} ms of CPU; Wasm SIMD is 128-bit, the native build uses the CPU's wider vectors`,
    },
    { runtime: 'Workers', figure: 'argon2id verification in workerd, CPU', value: round(cpu.workerd), unit: 'ms' },
    {
      runtime: 'Workers',
      figure: 'native @node-rs/argon2 verification, CPU (the baseline)',
      value: round(cpu.native),
      unit: 'ms',
      note: `${round(wall.native)} ms of wall clock`,
    },
    {
      runtime: 'Workers',
      figure: 'argon2id verification in workerd / native, wall clock',
      value: round(wall.ratio, 2),
      unit: 'x',
      note: 'context: includes the HTTP round trip into workerd and any wait for a core',
    },
  ];
}

/** A whole password login through the kit's Worker, npm start's embedded Appwrite behind it. */
async function loginRows(rounds: number, nativeVerify: () => Promise<Sample>, state: string): Promise<BenchRow[]> {
  const appwrite = await startNpmStart({ PORT: '0', HOST: '127.0.0.1' });
  try {
    const roomy = '1000000/86400';
    const vars = {
      ...readDevVarsExample(),
      APPWRITE_ENDPOINT: appwrite.printed['APPWRITE_ENDPOINT']!,
      PASSWORD_LIMIT_LOGIN_IP: roomy,
      PASSWORD_LIMIT_ACCOUNT: roomy,
      PASSWORD_LIMIT_ACCOUNT_CAP: roomy,
    };
    let address = 0;
    const post = (url: string, path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        // Each request from its own address, as users are.
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': `10.0.${(address >> 8) & 255}.${address++ & 255}` },
        body: JSON.stringify(body),
      });
    const username = `bench-argon2-${Date.now().toString(36)}`;
    const samples = await withWorker(join(root, 'entries/worker.ts'), { config: join(root, 'wrangler.toml'), envFiles: [], vars, persistTo: state }, async (url, workerdOf) => {
      await expectStatus(post(url, '/password/register', { username, password: PASSWORD }), 201, 'register');
      const login = () => expectStatus(post(url, '/password/login', { username, password: PASSWORD }), 200, 'login');
      const pid = await workerdOf(login);
      return interleaved(rounds, nativeVerify, () => measured(pid, login));
    });
    const cpu = summarize(samples, 'cpuMs');
    return [
      {
        runtime: 'Workers',
        figure: 'password login in workerd / native verification, CPU',
        value: round(cpu.ratio, 2),
        unit: 'x',
        note: `median of ${rounds} interleaved rounds: ${round(cpu.workerd)} ms of workerd CPU per login (200 with a token: argon2, the app, the rate-limit Durable Objects, the Appwrite client) vs ${round(cpu.native)} ms native; Appwrite's work and the waits for it excluded`,
      },
      { runtime: 'Workers', figure: 'password login in workerd, CPU', value: round(cpu.workerd), unit: 'ms' },
    ];
  } finally {
    await appwrite.stop();
  }
}

function wasmSizeRow(): BenchRow {
  const wasm = readFileSync(createRequire(import.meta.url).resolve('@phi-ag/argon2/argon2.wasm'));
  return {
    runtime: 'Workers',
    figure: 'argon2 Wasm module, gzip',
    value: round(gzipSync(wasm).length / 1024),
    unit: 'KiB',
    note: `${round(wasm.length / 1024)} KiB raw; part of the Worker's upload`,
  };
}

const section: BenchSection = {
  title: 'argon2 in Wasm on Workers',
  async measure({ quick }) {
    const rounds = quick ? 3 : 9;
    const phc = await hash(PASSWORD, APPWRITE_ARGON2);
    const nativeVerify = () =>
      measured(process.pid, async () => {
        if (!(await verify(phc, PASSWORD))) throw new Error('@node-rs/argon2 refused its own hash');
      });
    const state = mkdtempSync(join(tmpdir(), 'kit-bench-argon2-'));
    try {
      return [...(await verificationRows(rounds, phc, nativeVerify, state)), ...(await loginRows(rounds, nativeVerify, state)), wasmSizeRow()];
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  },
};

export default section;
