// Runs in Node before the workerd tests: starts the embedded Appwrite double (appwrite-double.ts)
// as a child process on 127.0.0.1 and hands its address and API key to the tests and to the
// Worker's bindings through vitest's provide/inject.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    appwriteEndpoint: string;
    appwriteProjectId: string;
    appwriteApiKey: string;
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./appwrite-double.ts', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const projectId = 'kit-workers-test';
  const apiKey = randomBytes(32).toString('hex');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, DOUBLE_PROJECT_ID: projectId, DOUBLE_API_KEY: apiKey },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The Appwrite double did not start within 30 s.')), 30_000);
    child.once('exit', (code) => reject(new Error(`The Appwrite double exited with code ${code}.`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { endpoint: string }).endpoint);
    });
  });

  project.provide('appwriteEndpoint', endpoint);
  project.provide('appwriteProjectId', projectId);
  project.provide('appwriteApiKey', apiKey);

  return async () => {
    child.stdin!.end();
    await exited;
  };
}
