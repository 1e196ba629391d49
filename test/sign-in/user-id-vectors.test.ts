/**
 * The user IDs the sign-in pipeline derives, pinned: an OIDC subject and a phone number map to the
 * same Appwrite user in every version of the kit. A change here would orphan every existing account.
 */
import { describe, expect, it } from 'vitest';
import { userIdForOidcSubject, userIdForPhone } from '../../shared/sign-in/user-id.js';

describe('derived user IDs stay the same across versions', () => {
  it('for an OIDC issuer and subject', async () => {
    expect(await userIdForOidcSubject('https://tenant.eu.auth0.com/', 'auth0|abc123')).toBe('oidc-16c3cb7a4ddfe1341a88e474874922c');
  });

  it('for an E.164 phone number', async () => {
    expect(await userIdForPhone('+41446681800')).toBe('ph-d33e104e50a9bbea098be5423f7b6e88e');
  });
});
