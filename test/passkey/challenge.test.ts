/**
 * The passkey function's challenges on their own: signed claims a verify route can trust without
 * having stored anything, burnt in the once-store on first use, refused after their lifetime, for
 * another flow, or when the function did not sign them, always as a 400 type and never a crash.
 * A challenge comes back as the browser returns it: base64url of its UTF-8 bytes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createChallenges } from '../../functions/passkey/challenge.js';
import { KitError } from '../../shared/errors.js';
import { createMemoryOnceStore } from '../../shared/once/memory-store.js';
import type { OnceStore } from '../../shared/once/store.js';
import { manualClock } from '../helpers/clock.js';

const SECRET = 'challenge-test-secret-0123456789abcdef';
const LIFETIME_MS = 120_000;
const clock = manualClock(Date.UTC(2026, 0, 15, 12));
let once: OnceStore;

beforeEach(() => {
  clock.reset();
  once = createMemoryOnceStore({ clock });
});

const challengesWith = (secret = SECRET) => createChallenges({ secret, lifetimeMs: LIFETIME_MS, clock, once });
/** What `clientDataJSON.challenge` holds for an options answer's `challenge`. */
const returnedBy = (challenge: string) => Buffer.from(challenge).toString('base64url');
const b64u = (text: string) => Buffer.from(text).toString('base64url');

/** The error type `redeem` threw, or `redeemed` when it did not throw. */
async function outcome(redeem: Promise<unknown>): Promise<string> {
  try {
    await redeem;
    return 'redeemed';
  } catch (error) {
    if (error instanceof KitError) return `${error.status} ${error.type}`;
    return `crash: ${String(error)}`;
  }
}

describe('a challenge the function issued', () => {
  it('is redeemed once, for its flow, with the claims it was issued with', async () => {
    const challenges = challengesWith();
    const challenge = await challenges.issue({ flow: 'sign-up', userId: 'pw-alice', username: 'alice' });
    expect(challenge).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const returned = returnedBy(challenge);
    expect(await challenges.redeem(returned, 'sign-up')).toEqual({
      flow: 'sign-up',
      userId: 'pw-alice',
      username: 'alice',
      expiresAt: clock.now() + LIFETIME_MS,
      challenge: returned,
    });
    expect(await outcome(challenges.redeem(returned, 'sign-up'))).toBe('400 challenge_invalid');
  });

  it('is burnt for every instance that shares the once-store and the secret', async () => {
    const returned = returnedBy(await challengesWith().issue({ flow: 'add', userId: 'carol' }));
    expect(await challengesWith().redeem(returned, 'add')).toMatchObject({ flow: 'add', userId: 'carol' });
    expect(await outcome(challengesWith().redeem(returned, 'add'))).toBe('400 challenge_invalid');
  });

  it('is unique: two challenges for the same claims in the same millisecond are each redeemed', async () => {
    const challenges = challengesWith();
    const first = await challenges.issue({ flow: 'sign-in' });
    const second = await challenges.issue({ flow: 'sign-in' });
    expect(second).not.toBe(first);
    expect(await challenges.redeem(returnedBy(first), 'sign-in')).toMatchObject({ flow: 'sign-in' });
    expect(await challenges.redeem(returnedBy(second), 'sign-in')).toMatchObject({ flow: 'sign-in' });
  });

  it('holds through the last millisecond of its lifetime, and is challenge_expired after it', async () => {
    const challenges = challengesWith();
    const onTime = returnedBy(await challenges.issue({ flow: 'sign-in', userId: 'pw-alice' }));
    const late = returnedBy(await challenges.issue({ flow: 'sign-in', userId: 'pw-alice' }));
    clock.advance(LIFETIME_MS);
    expect(await challenges.redeem(onTime, 'sign-in')).toMatchObject({ userId: 'pw-alice', expiresAt: clock.now() });
    clock.advance(1);
    expect(await outcome(challenges.redeem(late, 'sign-in'))).toBe('400 challenge_expired');
  });

  it('is refused by every flow but its own, and stays usable for its own', async () => {
    const challenges = challengesWith();
    const returned = returnedBy(await challenges.issue({ flow: 'add', userId: 'carol' }));
    expect(await outcome(challenges.redeem(returned, 'sign-in'))).toBe('400 challenge_invalid');
    expect(await outcome(challenges.redeem(returned, 'sign-up'))).toBe('400 challenge_invalid');
    expect(await challenges.redeem(returned, 'add')).toMatchObject({ flow: 'add', userId: 'carol' });
  });

  it('is refused when its claims lack what its flow needs (a sign-up names user and username)', async () => {
    const challenges = challengesWith();
    const returned = returnedBy(await challenges.issue({ flow: 'sign-up', userId: 'pw-alice' } as never));
    expect(await outcome(challenges.redeem(returned, 'sign-up'))).toBe('400 challenge_invalid');
  });
});

describe('challenges the function did not issue', () => {
  it('refuses malformed challenges as challenge_invalid, never with a crash', async () => {
    const challenges = challengesWith();
    const genuine = await challenges.issue({ flow: 'sign-in' });
    const [payload] = genuine.split('.') as [string, string];
    const malformed = {
      'empty': '',
      'not base64url': '!!!!',
      'a base64url length no bytes can have': 'AAAAA',
      'no signature part': b64u(payload),
      'a signature that is not base64url': b64u(`${payload}.!!!!`),
      'a signature of impossible length': b64u(`${payload}.AAAAA`),
    };
    for (const [what, returned] of Object.entries(malformed)) {
      expect(`${what}: ${await outcome(challenges.redeem(returned, 'sign-in'))}`).toBe(`${what}: 400 challenge_invalid`);
    }
  });
});

describe('challenges that were changed on the way', () => {
  it('refuses a challenge signed with another secret, and one whose claims were rewritten', async () => {
    const challenges = challengesWith();
    const other = returnedBy(await challengesWith('another-secret-of-enough-length-0123456').issue({ flow: 'sign-in' }));
    expect(await outcome(challenges.redeem(other, 'sign-in'))).toBe('400 challenge_invalid');

    const [payload, mac] = (await challenges.issue({ flow: 'sign-in', userId: 'pw-alice' })).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const rewritten = b64u(JSON.stringify({ ...claims, userId: 'pw-mallory' }));
    expect(await outcome(challenges.redeem(returnedBy(`${rewritten}.${mac}`), 'sign-in'))).toBe('400 challenge_invalid');
  });

  it('refuses a genuine challenge with anything appended, and accepts it as issued afterwards', async () => {
    const challenges = challengesWith();
    const challenge = await challenges.issue({ flow: 'sign-in' });
    expect(await outcome(challenges.redeem(returnedBy(`${challenge}.x`), 'sign-in'))).toBe('400 challenge_invalid');
    expect(await outcome(challenges.redeem(returnedBy(challenge), 'sign-in'))).toBe('redeemed');
  });

  it('takes a challenge back only as base64url, unpadded: not with spaces or padding, not its signature in standard base64', async () => {
    const challenges = challengesWith();
    let challenge = '';
    // Most signatures have a character that base64 and base64url spell differently; take one that does.
    while (!/\.[^.]*[-_]/.test(challenge)) challenge = await challenges.issue({ flow: 'sign-in' });
    const returned = returnedBy(challenge);
    const [payload, mac] = challenge.split('.') as [string, string];
    const respelt = [
      ` ${returned}`,
      `${returned}\n`,
      `${returned}=`,
      returnedBy(`${payload}.${mac.replaceAll('-', '+').replaceAll('_', '/')}`),
      returnedBy(`${payload}.${Buffer.from(mac, 'base64url').toString('base64url')}=`),
    ];
    for (const spelling of respelt) expect(await outcome(challenges.redeem(spelling, 'sign-in'))).toBe('400 challenge_invalid');
    expect(await outcome(challenges.redeem(returned, 'sign-in'))).toBe('redeemed');
  });
});
