/**
 * Node (issue 8, goal 5): what a password login costs through `npm start`, next to the argon2 work
 * it cannot avoid, both measured in this run on this machine.
 *
 * 1. Throughput: raw `@node-rs/argon2` verifications per second of the very hash the server checks
 *    (the one the embedded Appwrite stored at registration, m=65536 t=4 p=3), against password logins
 *    per second through the server (HTTP, rate limiter, `users.get` and `users.createToken` against
 *    the embedded Appwrite), at the same concurrency. Goal: ratio >= 0.9.
 * 2. Memory: the server's peak RSS during bursts of concurrent logins: its growth is bounded by
 *    ARGON2_MAX_CONCURRENCY x 64 MiB, not by the number of requests.
 *
 * The server runs in its own process (`entries/node.ts`, as `npm start`), so its memory is its own.
 * The raw baseline runs in a process of its own too, so neither side shares a thread pool or an
 * event loop with the benchmark's client.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { BenchRow, BenchSection } from '../table.js';

const CONCURRENCY = availableParallelism();
const OPS_PER_ROUND = 16;
const MiB = 1024 * 1024;
const root = new URL('../../', import.meta.url);
const credentials = { username: 'bench-user', password: 'correct horse battery staple' };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs `total` tasks, `concurrency` at a time; answers tasks per second. */
async function timed(total: number, concurrency: number, task: () => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await task();
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** A field of /proc/<pid>/status in bytes (Linux). */
function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}

/** Starts a child and resolves with the first match of `ready` in its stdout. */
function spawnUntil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (!match) return;
      // From here on its output is read by whoever asks (or drained unread): the benchmark must
      // not spend the cores it measures on scanning the server's log.
      child.stdout!.off('data', watch);
      resolve({ child, match });
    };
    child.stdout!.on('data', watch);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output.slice(-500)}`)));
  });
}

/** `npm start` as a process of its own, with the limits a one-account benchmark would trip lifted. */
async function startServer() {
  const { child, match } = await spawnUntil(
    ['--import', 'tsx', 'entries/node.ts'],
    {
      PORT: '0',
      ARGON2_MAX_CONCURRENCY: String(CONCURRENCY),
      // The memory bursts need every login served: a shed login would end the run.
      ARGON2_MAX_WAIT_MS: '60000',
      PASSWORD_LIMIT_ACCOUNT: '1000000/60',
      PASSWORD_LIMIT_ACCOUNT_CAP: '1000000/60',
      PASSWORD_LIMIT_LOGIN_IP: '1000000/60',
      PASSWORD_LIMIT_REGISTER_IP: '1000/60',
    },
    /Listening on (http:\/\/\S+)/,
  );
  return { url: match[1]!, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

/**
 * The raw baseline in its own process: verifies `hash` `total` times, `concurrency` at a time, on
 * each line it reads, and prints the rate. The same library, hash and password as the server's.
 */
const rawVerifier = `
import { verify } from '@node-rs/argon2';
import { createInterface } from 'node:readline';
const [phc, password] = JSON.parse(process.argv[1]);
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [total, concurrency] = JSON.parse(line);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < total) if (!(await verify(phc, password))) throw new Error('verify failed');
  }));
  console.log(String(total / ((performance.now() - started) / 1000)));
}
`;

async function startRawVerifier(phc: string) {
  const { child } = await spawnUntil(['--input-type=module', '-e', rawVerifier, JSON.stringify([phc, credentials.password])], {}, /ready/);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    async rate(total: number, concurrency: number): Promise<number> {
      child.stdin!.write(`${JSON.stringify([total, concurrency])}\n`);
      for (let line = await lines.next(); !line.done; line = await lines.next()) if (/^\d/.test(line.value)) return Number(line.value);
      throw new Error('the raw verifier exited');
    },
    stop: () => child.kill('SIGTERM'),
  };
}

/**
 * POSTs JSON over a kept-alive connection and answers status and body. `node:http`, not `fetch`:
 * the client shares the two cores with the server it measures, and undici's fetch costs it a few
 * times more CPU per request, which the server's figure would otherwise pay for.
 */
function post(agent: Agent, url: string, body: unknown, retried = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed as idle (its keepAliveTimeout) just as it was
      // reused: nothing reached the server, so send it again once, as Node's documentation advises.
      if (req.reusedSocket && !retried && (error.code === 'ECONNRESET' || error.message === 'socket hang up')) resolve(post(agent, url, body, true));
      else reject(error);
    });
    req.end(payload);
  });
}

const section: BenchSection = {
  title: 'Node logins',
  async measure({ quick }) {
    const rounds = quick ? 1 : 9;
    const server = await startServer();
    const agent = new Agent({ keepAlive: true });
    let raw: Awaited<ReturnType<typeof startRawVerifier>> | undefined;
    try {
      const registered = await post(agent, `${server.url}/password/register`, credentials);
      if (registered.status !== 201) throw new Error(`register failed: ${registered.status}`);
      const login = async () => {
        const response = await post(agent, `${server.url}/password/login`, credentials);
        if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
      };
      // In the memory bursts a login the gate sheds (503 server_busy, after ARGON2_MAX_WAIT_MS on a
      // slow machine) is an answer too: it held no argon2 memory, which is what the bursts measure.
      let shed = 0;
      const burstLogin = async () => {
        const response = await post(agent, `${server.url}/password/login`, credentials);
        if (response.status === 503 && response.text.includes('server_busy')) shed++;
        else if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
      };
      // The hash the server verifies on every login, as the embedded Appwrite stored it.
      const phc = await storedHash(server.url);
      raw = await startRawVerifier(phc);

      // Warm both paths, then interleave short rounds so drift on a shared machine hits both alike.
      await raw.rate(CONCURRENCY * 2, CONCURRENCY);
      await timed(CONCURRENCY * 2, CONCURRENCY, login);
      const measured: Array<{ raw: number; kit: number; busy: number }> = [];
      for (let i = 0; i < rounds; i++) {
        const rawRound = () => raw!.rate(OPS_PER_ROUND, CONCURRENCY);
        const kitRound = () => timed(OPS_PER_ROUND, CONCURRENCY, login);
        // Real traffic keeps more requests in flight than argon2 slots, so no slot idles while a
        // request is in HTTP or Appwrite; the server still runs at most CONCURRENCY hashes.
        const busyRound = () => timed(OPS_PER_ROUND, CONCURRENCY * 2, login);
        // Every other round in reverse order, so load that drifts during a round favours neither side.
        const rawRate = i % 2 === 0 ? await rawRound() : 0;
        const busy = i % 2 === 1 ? await busyRound() : 0;
        const kit = await kitRound();
        const measuredRaw = i % 2 === 1 ? await rawRound() : rawRate;
        const measuredBusy = i % 2 === 0 ? await busyRound() : busy;
        measured.push({ raw: measuredRaw, kit, busy: measuredBusy });
        console.error(`node-logins: round ${i + 1}/${rounds}: raw ${measuredRaw.toFixed(1)}/s, ratio ${(kit / measuredRaw).toFixed(3)}`);
      }
      raw.stop();
      raw = undefined;

      const rows: BenchRow[] = [
        {
          runtime: 'Node',
          figure: `raw @node-rs/argon2 verifications, ${CONCURRENCY} at once (baseline)`,
          value: median(measured.map((r) => r.raw)),
          unit: '/s',
          note: `argon2id m=65536 t=4 p=3 (Appwrite's) on the hash the server checks; median of ${rounds} rounds of ${OPS_PER_ROUND}`,
        },
        {
          runtime: 'Node',
          figure: `password logins through npm start, ${CONCURRENCY} in flight, vs raw argon2`,
          value: median(measured.map((r) => r.kit / r.raw)),
          unit: 'x',
          goal: { min: 0.9 },
          note:
            'with as many logins in flight as argon2 slots, a slot idles for as long as its login is outside argon2: HTTP in, the rate ' +
            'limiter, users.get and createToken through node-appwrite to the embedded Appwrite in this same process, HTTP out, and every ' +
            'thread wake-up between them, which waits for a core when the machine is busy',
        },
        {
          runtime: 'Node',
          figure: `password logins through npm start, ${CONCURRENCY * 2} in flight, vs raw argon2`,
          value: median(measured.map((r) => r.busy / r.raw)),
          unit: 'x',
        },
      ];
      rows.push(...(await memoryRows(server.pid, burstLogin, quick)));
      if (shed > 0 && rows.length > 3) rows[rows.length - 2]!.note += `; ${shed} logins of the bursts were shed (503 server_busy) on this busy machine`;
      return rows;
    } finally {
      raw?.stop();
      agent.destroy();
      server.stop();
    }
  },
};

/** The stored hash of the benchmark's user, read from the embedded Appwrite with its published key. */
async function storedHash(url: string): Promise<string> {
  const { DEV_APPWRITE_API_KEY, EMBEDDED_PROJECT_ID } = await import('../../shared/runtime/node.js');
  const { userIdForUsername } = await import('../../functions/password/username.js');
  const response = await fetch(`${url}/v1/users/${await userIdForUsername(credentials.username)}`, {
    headers: { 'x-appwrite-project': EMBEDDED_PROJECT_ID, 'x-appwrite-key': DEV_APPWRITE_API_KEY },
  });
  const user = (await response.json()) as { password?: string };
  if (!user.password?.startsWith('$argon2id$')) throw new Error(`no argon2id hash stored for the benchmark user (${response.status})`);
  return user.password;
}

/** Peak RSS during bursts of concurrent logins; Linux only (/proc), skipped elsewhere rather than faked. */
async function memoryRows(pid: number, login: () => Promise<void>, quick: boolean): Promise<BenchRow[]> {
  if (!existsSync(`/proc/${pid}/clear_refs`)) return [];
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = procStatus(pid, 'VmRSS');
  const [small, large] = quick ? [8, 32] : [50, 200];
  const peaks: number[] = [];
  for (const size of [small, large]) {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    await Promise.all(Array.from({ length: size }, login));
    peaks.push(procStatus(pid, 'VmHWM'));
  }
  const bound = CONCURRENCY * 64 * MiB;
  const [peakSmall, peakLarge] = peaks as [number, number];
  return [
    { runtime: 'Node', figure: 'server RSS at rest', value: idle / MiB, unit: 'MiB' },
    {
      runtime: 'Node',
      figure: `peak RSS growth, ${large} concurrent logins, vs ARGON2_MAX_CONCURRENCY x 64 MiB`,
      value: Math.max(0, peakLarge - idle) / bound,
      unit: 'x',
      note: 'memory follows the argon2 limit, not the number of requests: waiting logins hold almost nothing',
    },
    { runtime: 'Node', figure: `peak RSS, ${large} vs ${small} concurrent logins`, value: peakLarge / peakSmall, unit: 'x' },
  ];
}

export default section;
