import { describe, expect, it } from 'vitest';
import { accountKey, bareClientAddress, clientIpKey, parseClientAddress, UNKNOWN_IP_KEY } from '../../shared/rate-limit/keys.js';

describe('clientIpKey', () => {
  it('keys IPv4 per address', () => {
    expect(clientIpKey('203.0.113.7')).toBe('ip:v4:203.0.113.7');
    expect(clientIpKey('203.0.113.8')).toBe('ip:v4:203.0.113.8');
    expect(clientIpKey(' 0.0.0.0 ')).toBe('ip:v4:0.0.0.0');
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    expect(clientIpKey('::ffff:203.0.113.7')).toBe('ip:v4:203.0.113.7');
    expect(clientIpKey('::FFFF:203.0.113.7')).toBe('ip:v4:203.0.113.7');
    expect(clientIpKey('0:0:0:0:0:ffff:cb00:7107')).toBe('ip:v4:203.0.113.7');
    expect(clientIpKey('[::ffff:cb00:7107]')).toBe('ip:v4:203.0.113.7');
  });

  it('groups IPv6 by /64', () => {
    const a = clientIpKey('2001:db8:1234:5678:aaaa:bbbb:cccc:dddd');
    const b = clientIpKey('2001:db8:1234:5678::1');
    const c = clientIpKey('2001:0db8:1234:5678:0000:0000:0000:0002');
    expect(a).toBe('ip:v6:2001:db8:1234:5678::/64');
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(clientIpKey('2001:db8:1234:5679::1')).not.toBe(a);
  });

  it('expands every :: form to the right groups', () => {
    expect(clientIpKey('::1')).toBe('ip:v6:0:0:0:0::/64');
    expect(clientIpKey('::')).toBe('ip:v6:0:0:0:0::/64');
    expect(clientIpKey('2001:db8::')).toBe('ip:v6:2001:db8:0:0::/64');
    expect(clientIpKey('2001::5678:0:0:0:1')).toBe('ip:v6:2001:0:0:5678::/64');
    expect(clientIpKey('1:2:3:4:5:6:7::')).toBe('ip:v6:1:2:3:4::/64');
    expect(clientIpKey('::2:3:4:5:6:7:8')).toBe('ip:v6:0:2:3:4::/64');
    expect(clientIpKey('fe80::1%eth0')).toBe('ip:v6:fe80:0:0:0::/64');
    expect(clientIpKey('64:ff9b::203.0.113.7')).toBe('ip:v6:64:ff9b:0:0::/64');
  });

  it('puts missing and malformed addresses in the shared unknown bucket', () => {
    for (const bad of [null, undefined, '', 'unknown', '203.0.113', '203.0.113.256', '01.2.3.4', '1::2::3',
      '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', ':1::', '12345::', 'g::1', '::ffff:1.2.3', '1.2.3.4/24']) {
      expect(clientIpKey(bad), String(bad)).toBe(UNKNOWN_IP_KEY);
    }
  });

  it('keeps an IPv6 address with ffff in group 6 as its own /64: only ::ffff:0:0/96 carries an IPv4 address', () => {
    // Regression: read as IPv4-mapped, 2001:db8:1:2::/64 would get one bucket per IPv4 address (2^32 of them).
    expect(clientIpKey('2001:db8:1:2:0:ffff:cb00:7107')).toBe('ip:v6:2001:db8:1:2::/64');
    expect(clientIpKey('2001:db8:1:2:0:ffff:cb00:7107')).not.toBe(clientIpKey('203.0.113.7'));
    expect(clientIpKey('2001:db8:1:2:0:ffff:203.0.113.7')).toBe('ip:v6:2001:db8:1:2::/64');
    // Any non-zero group in the first 80 bits, or something other than ffff in group 6, is plain IPv6.
    expect(clientIpKey('0:0:0:0:1:ffff:cb00:7107')).toBe('ip:v6:0:0:0:0::/64');
    expect(clientIpKey('0:0:0:1:0:ffff:cb00:7107')).toBe('ip:v6:0:0:0:1::/64');
    expect(clientIpKey('0:0:1:0:0:ffff:cb00:7107')).toBe('ip:v6:0:0:1:0::/64');
    expect(clientIpKey('0:1:0:0:0:ffff:cb00:7107')).toBe('ip:v6:0:1:0:0::/64');
    expect(clientIpKey('1::ffff:cb00:7107')).toBe('ip:v6:1:0:0:0::/64');
    expect(clientIpKey('::fffe:cb00:7107')).toBe('ip:v6:0:0:0:0::/64');
  });

  it('accepts IPv4 octets 200 to 255 and refuses 256', () => {
    expect(clientIpKey('200.201.249.250')).toBe('ip:v4:200.201.249.250');
    expect(clientIpKey('251.252.253.254')).toBe('ip:v4:251.252.253.254');
    expect(clientIpKey('255.255.255.255')).toBe('ip:v4:255.255.255.255');
    expect(clientIpKey('::ffff:255.249.200.1')).toBe('ip:v4:255.249.200.1');
    for (const bad of ['256.1.1.1', '1.256.1.1', '1.1.256.1', '1.1.1.256', '::ffff:1.2.3.256', '260.1.1.1', '300.1.1.1']) {
      expect(clientIpKey(bad), bad).toBe(UNKNOWN_IP_KEY);
    }
  });

  it('refuses an address with only one of its brackets', () => {
    for (const bad of ['[1.2.3.45', '1.2.3.45]', '[1.2.3.45:80', '1.2.3.45]:80', '[::1', '::1]']) {
      expect(clientIpKey(bad), bad).toBe(UNKNOWN_IP_KEY);
    }
    expect(clientIpKey('[1.2.3.45]')).toBe('ip:v4:1.2.3.45');
  });

  it('reads an IPv4-mapped address written in full form with a dotted tail as the IPv4 address', () => {
    expect(clientIpKey('0:0:0:0:0:ffff:1.2.3.4')).toBe('ip:v4:1.2.3.4');
    expect(clientIpKey('0000:0000:0000:0000:0000:FFFF:1.2.3.4')).toBe('ip:v4:1.2.3.4');
  });

  it('accepts the longest textual IPv6 address: 45 characters, a full form with a dotted tail', () => {
    const longest = '0000:0000:0000:0000:0000:ffff:255.255.255.255';
    expect(longest).toHaveLength(45);
    expect(clientIpKey(longest)).toBe('ip:v4:255.255.255.255');
    const longestPlain = '2001:0db8:0000:0000:0000:0000:255.255.255.255';
    expect(longestPlain).toHaveLength(45);
    expect(clientIpKey(longestPlain)).toBe('ip:v6:2001:db8:0:0::/64');
  });

  it('answers ip:unknown, without throwing, for input that could trip the IPv6 parser', () => {
    const trippers = ['::::', '1::2::3', ':', ':::', '1:', ':1', '::1::', '.', '::.', '1.2.3.4::', '::1.2.3.4:5',
      ':'.repeat(10_000), '1:'.repeat(10_000), 'f'.repeat(100_000), `::${'1.'.repeat(5_000)}1`];
    for (const input of trippers) {
      expect(() => clientIpKey(input), input.slice(0, 20)).not.toThrow();
      expect(clientIpKey(input), input.slice(0, 20)).toBe(UNKNOWN_IP_KEY);
    }
  });

  it('keys an address written with a port by the address alone, each in its own bucket', () => {
    expect(clientIpKey('198.51.100.1:1111')).toBe('ip:v4:198.51.100.1');
    expect(clientIpKey('198.51.100.2:2222')).toBe('ip:v4:198.51.100.2');
    expect(clientIpKey('[2001:db8::1]:443')).toBe('ip:v6:2001:db8:0:0::/64');
    expect(clientIpKey('[2001:db8::1]')).toBe('ip:v6:2001:db8:0:0::/64');
    expect(clientIpKey('[::ffff:203.0.113.7]:8080')).toBe('ip:v4:203.0.113.7');
    // 65535, the highest port there is, is still a port.
    expect(clientIpKey('198.51.100.3:65535')).toBe('ip:v4:198.51.100.3');
    expect(clientIpKey('[2001:db8::1]:65535')).toBe('ip:v6:2001:db8:0:0::/64');
    // A bare IPv6 address has colons but no port: its last group is part of the address.
    expect(clientIpKey('2001:db8::1:443')).toBe('ip:v6:2001:db8:0:0::/64');
  });

  it('refuses a port it cannot read', () => {
    for (const bad of ['198.51.100.1:', '198.51.100.1:65536', '198.51.100.1:80:80', '198.51.100.1:http', '[2001:db8::1]:',
      '[2001:db8::1]:x', '[2001:db8::1', '2001:db8::1]:443', '[unknown]:80', 'unknown:80', '[2001:db8::1]:443:1']) {
      expect(clientIpKey(bad), bad).toBe(UNKNOWN_IP_KEY);
    }
  });

  it('gives the address alone, without brackets or port, for callers that pass it on', () => {
    expect(bareClientAddress(' 198.51.100.1:1111 ')).toBe('198.51.100.1');
    expect(bareClientAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(bareClientAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(bareClientAddress('unknown')).toBeNull();
  });

  it('parses addresses for callers that need the family', () => {
    expect(parseClientAddress('::ffff:10.0.0.1')).toEqual({ family: 4, address: '10.0.0.1' });
    expect(parseClientAddress('2001:db8::1')).toEqual({ family: 6, prefix: '2001:db8:0:0::/64' });
    expect(parseClientAddress('nope')).toBeNull();
  });
});

describe('accountKey', () => {
  it('hashes the identifier: no raw username or phone number in the key', async () => {
    const key = await accountKey('username', 'alice');
    expect(key).toMatch(/^acct:username:[0-9a-f]{32}$/);
    expect(key).not.toContain('alice');
    const phone = await accountKey('phone', '+14155550100');
    expect(phone).not.toContain('4155550100');
  });

  it('is stable per kind and identifier, and separates kinds', async () => {
    expect(await accountKey('username', 'alice')).toBe(await accountKey('username', 'alice'));
    expect(await accountKey('username', 'alice')).not.toBe(await accountKey('username', 'bob'));
    expect((await accountKey('user', 'alice')).slice(-32)).not.toBe((await accountKey('username', 'alice')).slice(-32));
  });
});
