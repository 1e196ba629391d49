/**
 * shared/rate-limit/checks.ts: the three kinds of limit a route asks for. Each is a check whose
 * subject the guard counts on, built from what an attacker cannot choose: whose budget a request
 * spends is decided here.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { acrossEveryone, perAccount, perClientIp } from '../../shared/rate-limit/checks.js';
import { createRateLimitGuard } from '../../shared/rate-limit/guard.js';
import { accountKey } from '../../shared/rate-limit/keys.js';
import { createMemoryStore } from '../../shared/rate-limit/memory-store.js';
import { manualClock } from '../helpers/clock.js';

const rules = [{ limit: 2, windowSeconds: 60 }, { limit: 5, windowSeconds: 3600 }];

function guard() {
  const clock = manualClock(Date.UTC(2026, 0, 15, 12));
  return createRateLimitGuard({ store: createMemoryStore({ clock }), clock, logger: silentLogger });
}

describe('perClientIp', () => {
  it('keys the check on the client address, its scope and rules as given', () => {
    expect(perClientIp('test.login.ip', '203.0.113.7', rules)).toEqual({ scope: 'test.login.ip', subject: 'ip:v4:203.0.113.7', rules });
    expect(perClientIp('test.login.ip', '2001:db8:0:1::7', rules).subject).toBe('ip:v6:2001:db8:0:1::/64');
  });

  it('puts a client without a readable address in the one shared unknown bucket', () => {
    expect([undefined, null, '', 'not an address'].map((ip) => perClientIp('test.login.ip', ip, rules).subject)).toEqual(Array(4).fill('ip:unknown'));
  });

  it('gives addresses of one IPv6 /64 one budget, and another IPv4 address its own', async () => {
    const limits = guard();
    await limits.enforce([perClientIp('test.login.ip', '2001:db8:0:1::1', rules)]);
    await limits.enforce([perClientIp('test.login.ip', '2001:db8:0:1::2', rules)]);
    await expect(limits.enforce([perClientIp('test.login.ip', '2001:db8:0:1:ffff::3', rules)])).rejects.toMatchObject({ type: 'rate_limited', status: 429 });
    await expect(limits.enforce([perClientIp('test.login.ip', '2001:db8:0:2::1', rules)])).resolves.toBeUndefined();
  });
});

describe('perAccount', () => {
  it('keys the check on the hashed identifier: no username is in the key', async () => {
    const check = await perAccount('test.account', 'username', 'alice', rules);
    expect(check).toEqual({ scope: 'test.account', subject: await accountKey('username', 'alice'), rules });
    expect(check.subject).toMatch(/^acct:username:[0-9a-f]{32}$/);
    expect(check.subject).not.toContain('alice');
  });

  it('counts every attempt at one account together, whoever makes it, and another account apart', async () => {
    const limits = guard();
    await limits.enforce([await perAccount('test.account', 'username', 'alice', rules)]);
    await limits.enforce([await perAccount('test.account', 'username', 'alice', rules)]);
    await expect(limits.enforce([await perAccount('test.account', 'username', 'alice', rules)])).rejects.toMatchObject({ type: 'rate_limited' });
    await expect(limits.enforce([await perAccount('test.account', 'username', 'bob', rules)])).resolves.toBeUndefined();
    // The same identifier of another kind is another account.
    await expect(limits.enforce([await perAccount('test.account', 'phone', 'alice', rules)])).resolves.toBeUndefined();
  });
});

describe('acrossEveryone', () => {
  it('keys the check on the one subject everyone shares, `all`', () => {
    expect(acrossEveryone('test.all', rules)).toEqual({ scope: 'test.all', subject: 'all', rules });
  });

  it('refuses every client once the clients together have used the budget', async () => {
    const limits = guard();
    await limits.enforce([perClientIp('test.ip', '203.0.113.7', rules), acrossEveryone('test.all', rules)]);
    await limits.enforce([perClientIp('test.ip', '198.51.100.1', rules), acrossEveryone('test.all', rules)]);
    await expect(limits.enforce([perClientIp('test.ip', '192.0.2.1', rules), acrossEveryone('test.all', rules)])).rejects.toMatchObject({
      type: 'rate_limited',
    });
  });
});
