/**
 * Throttled logins on Workers (issue 8, goal 4): the Worker under wrangler's local dev server
 * (workerd on loopback, as `npx wrangler dev` runs it) with `npm start`'s embedded Appwrite behind
 * it. An account is locked (its per-account delay used up), then 300 logins for it arrive at once,
 * each from its own address (`CF-Connecting-IP`), as a distributed guess would. Every one must be
 * answered 429. Goal: p50 <= 50 ms once the lock is sealed.
 *
 * Context rows, measured in the same run: the same burst while the lock is not sealed yet (every
 * refusal counts its address and asks the Durable Object: what every throttled login cost before
 * sealing), the same burst of `GET /health` (wrangler dev's own floor on this machine: no Durable
 * Object, no argon2), and one unlocked login (argon2, Appwrite), which a throttled one is spared.
 *
 * A window is sealed once the full counter admitted nothing for `SEAL_AFTER_IDLE_MS` (30 s): the
 * section waits that out, so it takes a minute or two. Three rounds (one with `--quick`), medians,
 * the floor measured between the sealed bursts: on a shared machine the figures move with its load. The account's rule is `5/3600` instead of the
 * default `5/60,10/900` so that no window ends during the run; the path is the same.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { unstable_dev } from 'wrangler';
import { SEAL_AFTER_IDLE_MS } from '../../shared/rate-limit/durable-object.js';
import { readDevVarsExample } from '../../test/helpers/dotenv.js';
import { startNpmStart } from '../../test/helpers/npm-start.js';
import type { BenchRow, BenchSection } from '../table.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BURST = 300;

interface Burst {
  p50: number;
  p95: number;
  total: number;
  /** How many answers had each status (0: no answer). */
  statuses: Record<number, number>;
}

/** `count` requests sent at once: latency percentiles (each from its own start), the whole burst, the statuses. */
async function burst(count: number, send: (i: number) => Promise<Response>): Promise<Burst> {
  const statuses: Record<number, number> = {};
  const started = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const begun = performance.now();
      // A request the server dropped counts as status 0 rather than ending the run: the note says how many.
      const status = await send(i).then(
        async (response) => (await response.arrayBuffer(), response.status),
        () => 0,
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
      return performance.now() - begun;
    }),
  );
  const total = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p95: at(0.95), total, statuses };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const describeStatuses = (statuses: Record<number, number>) =>
  Object.entries(statuses)
    .map(([status, count]) => `${count} x ${status}`)
    .join(', ');

const section: BenchSection = {
  title: 'Throttled logins on Workers',
  async measure({ quick }) {
    const appwrite = await startNpmStart({ PORT: '0', HOST: '127.0.0.1' });
    const state = mkdtempSync(join(tmpdir(), 'kit-bench-wrangler-'));
    try {
      const worker = await unstable_dev(join(root, 'entries/worker.ts'), {
        config: join(root, 'wrangler.toml'),
        // .dev.vars.example as a developer copies it, pointed at this npm start; no .dev.vars of theirs.
        envFiles: [],
        vars: { ...readDevVarsExample(), APPWRITE_ENDPOINT: appwrite.printed['APPWRITE_ENDPOINT']!, PASSWORD_LIMIT_ACCOUNT: '5/3600' },
        ip: '127.0.0.1',
        port: 0,
        persistTo: state,
        logLevel: 'none',
        experimental: { disableExperimentalWarning: true, watch: false, disableDevRegistry: true },
      });
      try {
        const base = `http://${worker.address}:${worker.port}`;
        let address = 0;
        const nextAddress = () => `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address++ & 255}`;
        const login = (username: string, password = 'a wrong guess, again') =>
          fetch(`${base}/password/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextAddress() },
            body: JSON.stringify({ username, password }),
          });
        const settle = async (response: Promise<Response>) => void (await (await response).arrayBuffer());

        const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
        const health = () => burst(BURST, () => fetch(`${base}/health`));

        // Warm: the isolate, its app, the argon2 module, and the client's connections.
        await health();
        const unlocked = await burst(1, () => login(`bench-unlocked-${Date.now()}`));

        // Accounts locked at once (three, one with --quick), so each round has its own not-yet-sealed lock to measure.
        const run = Date.now().toString(36);
        const victims = Array.from({ length: quick ? 1 : 3 }, (_, round) => `bench-locked-${run}-${round}`);
        for (const victim of victims) for (let i = 0; i < 5; i++) await settle(login(victim));
        const lockedAt = Date.now();
        const unsealed: Burst[] = [];
        for (const victim of victims) unsealed.push(await burst(BURST, () => login(victim)));

        // Nothing can be admitted now; once the counters have been idle long enough, the next refusal seals.
        await sleep(Math.max(0, lockedAt + SEAL_AFTER_IDLE_MS + 1000 - Date.now()));
        const sealed: Burst[] = [];
        const floor: Burst[] = [];
        for (const victim of victims) {
          await settle(login(victim));
          // Interleaved with the floor, so both see the same load on this shared machine.
          floor.push(await health());
          const answered = await burst(BURST, () => login(victim));
          if (answered.statuses[429] !== BURST) throw new Error(`a sealed burst answered ${describeStatuses(answered.statuses)}, not ${BURST} x 429`);
          sealed.push(answered);
        }

        const p50 = median(sealed.map((b) => b.p50));
        const floorP50 = median(floor.map((b) => b.p50));
        const figure = (what: string) => `${BURST} concurrent logins to a locked account, ${what}`;
        const rounds = victims.length === 1 ? 'one burst' : `median of ${victims.length} bursts`;
        return [
          { runtime: 'Workers', figure: figure('sealed, p50'), value: round(p50), unit: 'ms', goal: { max: 50 }, note: `wrangler dev on loopback, each login from its own address, answered from the isolate; ${rounds}` },
          { runtime: 'Workers', figure: figure('sealed, p95'), value: round(median(sealed.map((b) => b.p95))), unit: 'ms' },
          { runtime: 'Workers', figure: figure('sealed, whole burst'), value: round(median(sealed.map((b) => b.total))), unit: 'ms' },
          {
            runtime: 'Workers',
            figure: figure('not yet sealed, p50'),
            value: round(median(unsealed.map((b) => b.p50))),
            unit: 'ms',
            note: `each counts its address and asks the Durable Object, as every throttled login did before sealing (${unsealed.map((b) => describeStatuses(b.statuses)).join('; ')})`,
          },
          { runtime: 'Workers', figure: figure('not yet sealed, whole burst'), value: round(median(unsealed.map((b) => b.total))), unit: 'ms' },
          { runtime: 'Workers', figure: `${BURST} concurrent GET /health, p50`, value: round(floorP50), unit: 'ms', note: `wrangler dev's own floor on this machine, measured between the sealed bursts; ${rounds}` },
          { runtime: 'Workers', figure: 'sealed throttled login p50 / GET /health p50', value: Math.round((p50 / floorP50) * 100) / 100, unit: 'x', note: 'what the kit adds to an empty answer' },
          { runtime: 'Workers', figure: 'one unlocked login (argon2, Appwrite)', value: round(unlocked.p50), unit: 'ms', note: 'what a throttled login is spared' },
        ] satisfies BenchRow[];
      } finally {
        await worker.stop();
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
      await appwrite.stop();
    }
  },
};
export default section;
