/**
 * Who a signed-in Appwrite user is, from the JWT their client made with `account.createJWT()`.
 * Only Appwrite can check its JWTs (HS256 with the server's own key), so the function asks it:
 * `GET /account` as the JWT's holder, with no API key.
 *
 * @module
 */
import { Account, AppwriteException, Client } from 'node-appwrite';
import { callAppwrite } from '../../shared/appwrite/client.js';
import type { AppwriteConnection } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import { definePort } from '../../shared/platform.js';

/** The signed-in user a JWT stands for: its ID, and its email and name (empty when unset). */
export interface SignedInAccount {
  userId: string;
  email: string;
  name: string;
}

/** Resolves a JWT to its user, or `null` when Appwrite does not accept it (bad, expired, session gone, user blocked). */
export type JwtAccounts = (jwt: string) => Promise<SignedInAccount | null>;

/**
 * @example
 * ```ts
 * const account = await createJwtAccounts(connection, logger)(jwt); // { userId: 'pw-35e7…', email: '', name: 'alice' } or null
 * ```
 */
export function createJwtAccounts(connection: AppwriteConnection, logger: Logger, signal?: AbortSignal): JwtAccounts {
  return async (jwt) => {
    const client = new Client().setEndpoint(connection.APPWRITE_ENDPOINT).setProject(connection.APPWRITE_PROJECT_ID).setJWT(jwt);
    try {
      const account = await callAppwrite(() => new Account(client).get(), { timeoutMs: connection.APPWRITE_TIMEOUT_MS, logger, operation: 'account.get', signal });
      return { userId: account.$id, email: account.email, name: account.name };
    } catch (error) {
      // 401 user_jwt_invalid / general_unauthorized_scope, 403 user_blocked: not a usable session.
      if (error instanceof AppwriteException && (error.code === 401 || error.code === 403)) return null;
      throw error;
    }
  };
}

/**
 * The JWT check, as a port. It needs no API key scope: it calls Appwrite as the user.
 *
 * @example
 * ```ts
 * ports: { accounts: jwtAccountsPort }
 * ```
 */
export const jwtAccountsPort = definePort<JwtAccounts>((runtime) => createJwtAccounts(runtime.appwrite(), runtime.logger, runtime.signal));
