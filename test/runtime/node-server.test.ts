/**
 * `npm start` itself, as a user runs it (a child process, real HTTP), and the Node server's choice of
 * client IP, which every per-IP limit rests on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Account, Client } from 'appwrite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitFunctions } from '../../functions/index.js';
import { DEVELOPMENT_CAPTCHA_NOTICE } from '../../shared/captcha/development.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import { clientIpFrom, startNodeServer } from '../../shared/runtime/node.js';
import { DEVELOPMENT_VOICE_NOTICE } from '../../shared/voice/index.js';
import { freshBrowser } from '../helpers/browser.js';

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('npm start', () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    child = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, PORT: '0', APPWRITE_ENDPOINT: '', APPWRITE_PROJECT_ID: '', APPWRITE_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = output.match(/Listening on (http:\/\/\S+)/);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
    });
  }, 60_000);

  afterAll(() => {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  });

  it('serves /health, the embedded Appwrite under /v1 and the password function, end to end with the web SDK', async () => {
    // npm start's development values turn the development captcha and voice providers on, and /health says so.
    expect(await (await fetch(`${url}/health`)).json()).toEqual({
      status: 'ok',
      functions: kitFunctions.map((fn) => fn.name),
      notices: [DEVELOPMENT_CAPTCHA_NOTICE, DEVELOPMENT_VOICE_NOTICE],
    });

    const credentials = { username: 'npm-start-user', password: 'correct horse battery staple' };
    const registered = await fetch(`${url}/password/register`, json(credentials));
    expect(registered.status).toBe(201);
    const { userId } = (await registered.json()) as { userId: string };
    const login = await fetch(`${url}/password/login`, json(credentials));
    expect(login.status).toBe(200);
    const token = (await login.json()) as { userId: string; secret: string };

    freshBrowser();
    const account = new Account(new Client().setEndpoint(`${url}/v1`).setProject('kit-local'));
    await account.createSession({ userId: token.userId, secret: token.secret });
    expect((await account.get()).$id).toBe(userId);

    freshBrowser();
    const again = new Account(new Client().setEndpoint(`${url}/v1`).setProject('kit-local'));
    await expect(again.createSession({ userId: token.userId, secret: token.secret })).rejects.toMatchObject({
      code: 401,
      type: 'user_invalid_token',
    });
  });
});

describe('npm start with a bad configuration', () => {
  it.each([
    ['an Appwrite variable', { APPWRITE_ENDPOINT: 'not a url', APPWRITE_PROJECT_ID: 'p', APPWRITE_API_KEY: 'super-secret-key-value' }, 'APPWRITE_ENDPOINT'],
    ['a function variable', { PASSWORD_LIMIT_ACCOUNT: 'not a url' }, 'PASSWORD_LIMIT_ACCOUNT'],
  ])('exits when %s is wrong, naming it, never its value', async (_, variables, name) => {
    const child = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, PORT: '0', ...variables },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain(name);
    expect(output).not.toContain('super-secret-key-value');
    expect(output).not.toContain('not a url');
  }, 60_000);
});

/** One failed login from this socket per X-Forwarded-For value (three other addresses by default). */
async function loginsWithForwardedFor(baseUrl: string, forwardedFor = ['198.51.100.0', '198.51.100.1', '198.51.100.2']): Promise<number[]> {
  const statuses: number[] = [];
  for (const [i, entry] of forwardedFor.entries()) {
    const response = await fetch(`${baseUrl}/password/login`, {
      ...json({ username: `someone${i}`, password: 'wrong password here' }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.250, ${entry}` },
    });
    statuses.push(response.status);
  }
  return statuses;
}

describe('client IP on the Node server', () => {
  it('ignores X-Forwarded-For unless told how many proxies to trust', () => {
    expect(clientIpFrom('10.0.0.2', '198.51.100.4', 0)).toBe('10.0.0.2');
    expect(clientIpFrom('10.0.0.2', '198.51.100.4, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientIpFrom('10.0.0.2', 'spoofed, 198.51.100.4, 203.0.113.9', 2)).toBe('198.51.100.4');
    expect(clientIpFrom('10.0.0.2', undefined, 1)).toBe('10.0.0.2');
    expect(clientIpFrom('10.0.0.2', '203.0.113.9', 3)).toBe('10.0.0.2');
  });

  it('gives a trusted hop without its port, and null (never the socket) for one it cannot read', () => {
    expect(clientIpFrom('10.0.0.2', '198.51.100.4, 203.0.113.9:4711', 1)).toBe('203.0.113.9');
    expect(clientIpFrom('10.0.0.2', '[2001:db8::7]:443', 1)).toBe('2001:db8::7');
    let unreadable = 0;
    expect(clientIpFrom('10.0.0.2', '198.51.100.4, unknown', 1, () => unreadable++)).toBeNull();
    expect(unreadable).toBe(1);
  });

  it('cannot be dodged with a forged X-Forwarded-For', async () => {
    const server = await startNodeServer({
      env: { PORT: '0', PASSWORD_LIMIT_LOGIN_IP: '2/86400' },
      functions: kitFunctions,
      logger: silentLogger,
      embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    });
    try {
      const statuses = await loginsWithForwardedFor(server.url);
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await server.close();
    }
  });

  it('reads a trusted hop written with a port, and says once (without the address) when it cannot read one', async () => {
    const lines: string[] = [];
    const server = await startNodeServer({
      env: { PORT: '0', PASSWORD_LIMIT_LOGIN_IP: '1/86400', TRUST_PROXY_HOPS: '1' },
      functions: kitFunctions,
      logger: createLogger((line) => lines.push(line)),
      embeddedPasswordHashOptions: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    });
    try {
      // One login a day per address: each form is its own client; unreadable ones share ip:unknown.
      const statuses = await loginsWithForwardedFor(server.url, ['198.51.100.1:1111', '198.51.100.2:2222', '[2001:db8::1]:443', 'unknown', '<garbage>']);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      const warnings = lines.filter((line) => line.startsWith('untrusted_client_ip'));
      expect(warnings).toEqual(['untrusted_client_ip reason="unparseable_forwarded_for"']);
    } finally {
      await server.close();
    }
  });

  it('uses the address a trusted proxy reports when TRUST_PROXY_HOPS is set', async () => {
    const server = await startNodeServer({
      env: { PORT: '0', PASSWORD_LIMIT_LOGIN_IP: '2/86400', TRUST_PROXY_HOPS: '1' },
      functions: kitFunctions,
      logger: silentLogger,
    });
    try {
      const statuses = await loginsWithForwardedFor(server.url);
      expect(statuses).toEqual([401, 401, 401]);
    } finally {
      await server.close();
    }
  });
});
