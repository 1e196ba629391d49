/**
 * `npm start`'s embedded Appwrite as the development backend of the other runtimes: the values it
 * prints are those `.dev.vars.example` hands `wrangler dev`, its published key works with a server
 * SDK, and it will not expose that key beyond loopback unless told to.
 */
import { Client, ID, Users } from 'node-appwrite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_APPWRITE_API_KEY, EMBEDDED_PROJECT_ID } from '../../shared/runtime/node.js';
import { readDevVarsExample } from '../helpers/dotenv.js';
import { runNpmStartUntilExit, startNpmStart, type NpmStart } from '../helpers/npm-start.js';

const example = readDevVarsExample();

describe('npm start as the development Appwrite', () => {
  let server: NpmStart;

  beforeAll(async () => {
    server = await startNpmStart({ PORT: '0', HOST: '127.0.0.1' });
  }, 60_000);
  afterAll(() => server?.stop());

  it('prints the key and project ID .dev.vars.example holds, and an endpoint on its own port', () => {
    expect(server.printed['APPWRITE_API_KEY']).toBe(example['APPWRITE_API_KEY']);
    expect(server.printed['APPWRITE_PROJECT_ID']).toBe(example['APPWRITE_PROJECT_ID']);
    expect(server.printed['APPWRITE_ENDPOINT']).toBe(`${server.url}/v1`);
    // And both are the published constants, so the README, the example and the code cannot drift apart.
    expect(example['APPWRITE_API_KEY']).toBe(DEV_APPWRITE_API_KEY);
    expect(example['APPWRITE_PROJECT_ID']).toBe(EMBEDDED_PROJECT_ID);
    // The example's endpoint is npm start's default address (PORT 3000), spelled as a developer types it.
    expect(example['APPWRITE_ENDPOINT']).toBe('http://localhost:3000/v1');
  });

  it('accepts the printed key with node-appwrite Users (users.read and users.write)', async () => {
    const users = new Users(
      new Client().setEndpoint(server.printed['APPWRITE_ENDPOINT']!).setProject(server.printed['APPWRITE_PROJECT_ID']!).setKey(server.printed['APPWRITE_API_KEY']!),
    );
    const created = await users.create({ userId: ID.unique(), email: 'dev-backend@example.com', name: 'Dev Backend' });
    expect((await users.get({ userId: created.$id })).name).toBe('Dev Backend');
    const listed = await users.list();
    expect(listed.users.map((user) => user.$id)).toContain(created.$id);
  });

  it('refuses any other key', async () => {
    const users = new Users(
      new Client().setEndpoint(server.printed['APPWRITE_ENDPOINT']!).setProject(server.printed['APPWRITE_PROJECT_ID']!).setKey('not-the-development-key'),
    );
    await expect(users.list()).rejects.toMatchObject({ code: 401 });
  });
});

describe('npm start on a non-loopback HOST', () => {
  it('refuses to start, naming DEV_APPWRITE_ALLOW_REMOTE, since its key is published', async () => {
    const { code, output } = await runNpmStartUntilExit({ PORT: '0', HOST: '0.0.0.0' });
    expect(code).toBe(1);
    expect(output).toContain('DEV_APPWRITE_ALLOW_REMOTE');
    expect(output).not.toContain('Listening on');
  }, 60_000);

  it('starts with DEV_APPWRITE_ALLOW_REMOTE=true', async () => {
    const server = await startNpmStart({ PORT: '0', HOST: '0.0.0.0', DEV_APPWRITE_ALLOW_REMOTE: 'true' });
    try {
      expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      // Reached over loopback only: the test never talks beyond this machine.
      const port = new URL(server.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
