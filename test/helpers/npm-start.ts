/**
 * `npm start` as a developer runs it: a child process in its own process group, read from its
 * output. Tests use it to check what it prints and to use it as the Appwrite of other runtimes.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Variables that would point `npm start` somewhere other than its embedded Appwrite or change its
 * key. Set to empty (which the kit reads as unset) so neither the caller's environment nor a `.env`
 * file changes what the tests check: `.env` never overrides a variable already set.
 */
const neutralEnv = {
  APPWRITE_ENDPOINT: '',
  APPWRITE_PROJECT_ID: '',
  APPWRITE_API_KEY: '',
  DEV_APPWRITE_API_KEY: '',
  DEV_APPWRITE_ALLOW_REMOTE: '',
};

/** A running `npm start`. */
export interface NpmStart {
  /** What it printed after `Listening on`, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The `NAME=value` lines it printed for other runtimes (`APPWRITE_ENDPOINT`, `APPWRITE_PROJECT_ID`, `APPWRITE_API_KEY`). */
  printed: Record<string, string>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Ends the whole process group (npm, its shell, tsx and node) and waits until all of it has exited. */
  stop(): Promise<void>;
}

function spawnNpmStart(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, ...neutralEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group, so stop() reaches tsx and node under npm, not only npm.
    detached: true,
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

/**
 * Starts `npm start` and resolves once it listens and has printed its Appwrite values; rejects with
 * its output if it exits first or takes longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * const server = await startNpmStart({ PORT: '0' });
 * server.printed['APPWRITE_API_KEY']; // the development key
 * await server.stop();
 * ```
 */
export function startNpmStart(env: Record<string, string>, timeoutMs = 60_000): Promise<NpmStart> {
  const { child, output } = spawnNpmStart(env);
  // 'close', not 'exit': it comes once every process holding npm's output has ended, so the port is free.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    await exited;
  };
  return new Promise<NpmStart>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`npm start did not start within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const check = () => {
      const text = output();
      const url = /Listening on (http:\/\/\S+)/.exec(text)?.[1];
      // The three values come after the "Listening on" line; a real Appwrite prints "Appwrite at" instead.
      if (!url || !/APPWRITE_API_KEY=\S+\n|Appwrite at /.test(text)) return;
      clearTimeout(timer);
      const printed: Record<string, string> = {};
      for (const [, name, value] of text.matchAll(/^\s*(APPWRITE_[A-Z_]+)=(\S+)$/gm)) printed[name!] = value!;
      resolve({ url, printed, output, stop });
    };
    child.stdout!.on('data', check);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${signal ?? code}) before it was ready:\n${output()}`));
    });
  });
}

/**
 * Runs `npm start` expecting it to refuse to start: resolves with its exit code and output, or
 * rejects (after stopping it) if it is still running after `timeoutMs`.
 *
 * @example
 * ```ts
 * const { code, output } = await runNpmStartUntilExit({ PORT: '0', HOST: '0.0.0.0' });
 * ```
 */
export function runNpmStartUntilExit(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnNpmStart(env);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      reject(new Error(`npm start was still running after ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output() });
    });
  });
}
