/**
 * Contract tests of account JWTs on the embedded Appwrite (`account.createJWT`, `X-Appwrite-JWT`),
 * with the real `node-appwrite` SDK: a session makes a JWT, the JWT reads its user's account until it
 * expires or its session is deleted, and a forged one is refused with Appwrite's types.
 */
import { Account, Client } from 'node-appwrite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure, PROJECT_ID, startDevAppwrite, type RunningDevAppwrite } from './harness.js';

let dev: RunningDevAppwrite;

beforeAll(async () => {
  dev = await startDevAppwrite();
});
afterAll(() => dev.close());
beforeEach(async () => {
  dev.reset();
  await dev.users().create({ userId: 'alice', name: 'Alice' });
});

/** A session secret for alice, as server-side rendering gets one (an API key exchanging a token). */
async function aliceSession(): Promise<{ id: string; secret: string }> {
  const token = await dev.users().createToken({ userId: 'alice' });
  const session = await new Account(dev.serverClient()).createSession({ userId: 'alice', secret: token.secret });
  return { id: session.$id, secret: session.secret };
}

const client = () => new Client().setEndpoint(dev.endpoint).setProject(PROJECT_ID);
const jwtAccount = (jwt: string) => new Account(client().setJWT(jwt));

describe('account.createJWT and X-Appwrite-JWT', () => {
  it('makes a JWT that reads its user until it expires', async () => {
    const { jwt } = await new Account(client().setSession((await aliceSession()).secret)).createJWT({ duration: 60 });
    expect(jwt.split('.')).toHaveLength(3);
    expect((await jwtAccount(jwt).get()).$id).toBe('alice');
    dev.clock.advance(61_000);
    expect(await failure(jwtAccount(jwt).get())).toMatchObject({ code: 401, type: 'user_jwt_invalid' });
  });

  it('refuses a tampered JWT and a guest asking for one', async () => {
    // bob exists: only the signature can tell the forged JWT from one of his.
    await dev.users().create({ userId: 'bob', name: 'Bob' });
    const { jwt } = await new Account(client().setSession((await aliceSession()).secret)).createJWT();
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), userId: 'bob' })).toString('base64url');
    expect(await failure(jwtAccount(`${header}.${forged}.${signature}`).get())).toMatchObject({ code: 401, type: 'user_jwt_invalid' });
    expect(await failure(new Account(client()).createJWT())).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('makes a guest of a JWT whose session was deleted', async () => {
    const session = await aliceSession();
    const { jwt } = await new Account(client().setSession(session.secret)).createJWT();
    await dev.users().deleteSessions({ userId: 'alice' });
    expect(await failure(jwtAccount(jwt).get())).toMatchObject({ code: 401, type: 'general_unauthorized_scope' });
  });

  it('refuses a JWT sent with a session', async () => {
    const session = await aliceSession();
    const { jwt } = await new Account(client().setSession(session.secret)).createJWT();
    expect(await failure(new Account(client().setSession(session.secret).setJWT(jwt)).get())).toMatchObject({ code: 403, type: 'user_jwt_and_cookie_set' });
  });
});
