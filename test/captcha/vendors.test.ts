/**
 * shared/captcha/vendors.ts: whose fault a vendor's refusal is, read from its `error-codes`. Only
 * codes that blame the token are the client's fault; anything else, known or not, is the setup's.
 */
import { describe, expect, it } from 'vitest';
import { refusalFault } from '../../shared/captcha/vendors.js';

describe('refusalFault', () => {
  it.each([
    [['timeout-or-duplicate'], 'token'],
    [['missing-input-response', 'expired-input-response'], 'token'],
    [[], 'token'],
    [['invalid-input-secret'], 'vendor'],
    [['already-seen-response', 'sitekey-secret-mismatch'], 'vendor'],
    [['a-code-nobody-documented'], 'vendor'],
  ])('%j: the %s is at fault', (codes, fault) => {
    expect(refusalFault(codes)).toBe(fault);
  });
});
