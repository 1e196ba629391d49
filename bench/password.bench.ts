/**
 * `npm run bench`: what a password login costs through the kit, next to the argon2 work it cannot
 * avoid, both measured in this run on this machine.
 *
 * 1. Throughput: raw `@node-rs/argon2` verifies per second at Appwrite's parameters (m=65536, t=4,
 *    p=3) vs password logins per second through the Node server (HTTP, rate limiter, users.get and
 *    users.createToken against the embedded Appwrite), at the same concurrency. Goal: ratio >= 0.9.
 * 2. Memory: the server's peak RSS during bursts of 50 and 200 concurrent logins. Goal: the growth
 *    is bounded by ARGON2_MAX_CONCURRENCY x 64 MiB, not by the number of requests.
 *
 * The server runs in its own process so its memory is its own; figures are printed as ratios.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';

const CONCURRENCY = Number(process.env['ARGON2_MAX_CONCURRENCY'] ?? availableParallelism());
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 9);
const OPS_PER_ROUND = 16;
const APPWRITE_ARGON2 = { memoryCost: 65536, timeCost: 4, parallelism: 3 };
const MiB = 1024 * 1024;

async function timed(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** Peak resident memory of a process since the last reset, from /proc (Linux). */
function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}
function currentRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}
function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

async function startServer(): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'entries/node.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      ARGON2_MAX_CONCURRENCY: String(CONCURRENCY),
      // Its bursts measure memory with every login served: a shed login would end the run.
      ARGON2_MAX_WAIT_MS: '60000',
      // The benchmark hammers one account from one address: lift the limits it would trip.
      PASSWORD_LIMIT_ACCOUNT: '1000000/60',
      PASSWORD_LIMIT_ACCOUNT_CAP: '1000000/60',
      PASSWORD_LIMIT_LOGIN_IP: '1000000/60',
      PASSWORD_LIMIT_REGISTER_IP: '1000/60',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Listening on (http:\/\/\S+)/);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const server = await startServer();
try {
  const credentials = { username: 'bench-user', password: 'correct horse battery staple' };
  const registered = await post(`${server.url}/password/register`, credentials);
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status}`);
  const login = async () => {
    const response = await post(`${server.url}/password/login`, credentials);
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };
  const phc = await hash(credentials.password, APPWRITE_ARGON2);
  const rawVerify = async () => {
    if (!(await verify(phc, credentials.password))) throw new Error('verify failed');
  };

  // Warm both paths, then interleave so drift on a shared machine hits both alike.
  await timed(CONCURRENCY * 2, CONCURRENCY, rawVerify);
  await timed(CONCURRENCY * 2, CONCURRENCY, login);
  // The machine is shared and noisy: interleave short rounds so drift hits both sides alike, and
  // report the median of the per-round ratios.
  const rounds: Array<{ raw: number; kit: number; kitBusy: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const raw = await timed(OPS_PER_ROUND, CONCURRENCY, rawVerify);
    const kit = await timed(OPS_PER_ROUND, CONCURRENCY, login);
    // Real traffic keeps more requests in flight than argon2 slots, so no slot idles while a
    // request is in HTTP or Appwrite; the server's limit still runs at most CONCURRENCY hashes.
    const kitBusy = await timed(OPS_PER_ROUND, CONCURRENCY * 2, login);
    rounds.push({ raw, kit, kitBusy });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rawRate = median(rounds.map((r) => r.raw));
  const kitRate = median(rounds.map((r) => r.kit));
  const kitBusyRate = median(rounds.map((r) => r.kitBusy));
  const ratio = median(rounds.map((r) => r.kit / r.raw));
  const busyRatio = median(rounds.map((r) => r.kitBusy / r.raw));

  await new Promise((resolve) => setTimeout(resolve, 500));
  // Peak RSS comes from Linux's /proc; elsewhere the memory half is skipped, not faked.
  const canMeasureMemory = existsSync(`/proc/${server.pid}/clear_refs`);
  const idle = canMeasureMemory ? currentRss(server.pid) : 0;
  const bursts: Array<[number, number]> = [];
  for (const size of [50, 200]) {
    if (canMeasureMemory) resetPeakRss(server.pid);
    await Promise.all(Array.from({ length: size }, login));
    bursts.push([size, canMeasureMemory ? peakRss(server.pid) : 0]);
  }

  console.log(`argon2id m=65536 t=4 p=3, concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds of ${OPS_PER_ROUND} operations, medians`);
  console.log(`raw @node-rs/argon2 verify: ${rawRate.toFixed(1)}/s (baseline)`);
  console.log(`login through the kit, ${CONCURRENCY} in flight: ${kitRate.toFixed(1)}/s, ratio ${ratio.toFixed(2)} (goal >= 0.90)`);
  console.log(`login through the kit, ${CONCURRENCY * 2} in flight: ${kitBusyRate.toFixed(1)}/s, ratio ${busyRatio.toFixed(2)}`);
  if (canMeasureMemory) printMemory(idle, bursts, CONCURRENCY * 64 * MiB);
  else console.log('peak RSS: not measured (needs Linux /proc)');
} finally {
  server.stop();
}

function printMemory(idle: number, bursts: Array<[number, number]>, bound: number): void {
  console.log(`server RSS at rest:         ${(idle / MiB).toFixed(0)} MiB`);
  for (const [size, peak] of bursts) {
    const growth = Math.max(0, peak - idle);
    console.log(
      `peak RSS, ${String(size).padStart(3)} concurrent:    ${(peak / MiB).toFixed(0)} MiB; growth ${(growth / MiB).toFixed(0)} MiB = ${(growth / bound).toFixed(2)} x (concurrency x 64 MiB)`,
    );
  }
  const [[, peak50], [, peak200]] = bursts as [[number, number], [number, number]];
  console.log(`peak ratio 200 vs 50 requests: ${(peak200 / peak50).toFixed(2)} (bounded: close to 1)`);
}
