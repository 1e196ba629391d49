/**
 * Appwrite's permission model for the double's rows (utopia-php/database `Authorization`,
 * `Helpers/Permission`): permission strings such as `read("any")` or `write("user:alice")`, the roles
 * a caller holds, and whether they grant an action. API keys bypass permissions entirely, as
 * Appwrite disables authorization for them; a table without permissions is therefore API-key only.
 *
 * @module
 */
import type { Caller } from './context.js';

/** A database action a permission can grant. `write` in a permission string means create, update and delete. */
export type PermissionAction = 'create' | 'read' | 'update' | 'delete';

const permissionString = /^(create|read|update|delete|write)\("([^"]+)"\)$/;

/**
 * The roles a permission list grants for one action (`write` counts for create, update and delete),
 * or `null` when an entry is not a permission string.
 *
 * @example
 * ```ts
 * rolesGranted(['read("any")', 'write("user:alice")'], 'update'); // ['user:alice']
 * rolesGranted(['read(any)'], 'read');                            // null
 * ```
 */
export function rolesGranted(permissions: readonly string[], action: PermissionAction): string[] | null {
  const roles: string[] = [];
  for (const permission of permissions) {
    const match = permissionString.exec(permission);
    if (!match) return null;
    const [, granted, role = ''] = match;
    if (granted === action || (granted === 'write' && action !== 'read')) roles.push(role);
  }
  return roles;
}

/**
 * The roles Appwrite gives a caller (`User::getRoles`, without teams): `any` for everyone, then
 * `guests`, or `users`, `user:<id>`, their `/verified` or `/unverified` dimension and `label:<label>`.
 * API keys are not listed: they skip authorization.
 *
 * @example
 * ```ts
 * callerRoles({ kind: 'guest' }); // ['any', 'guests']
 * ```
 */
export function callerRoles(caller: Caller): string[] {
  if (caller.kind !== 'user') return ['any', 'guests'];
  const { user } = caller;
  const dimension = user.emailVerification || user.phoneVerification ? 'verified' : 'unverified';
  return ['any', 'users', `users/${dimension}`, `user:${user.id}`, `user:${user.id}/${dimension}`, ...user.labels.map((label) => `label:${label}`)];
}

/**
 * Whether the caller may perform `action` given the permission lists that apply (the table's,
 * plus the row's when the table has row security). An API key always may.
 *
 * @example
 * ```ts
 * allows(caller, 'delete', [table.$permissions, table.rowSecurity ? row.permissions : []]);
 * ```
 */
export function allows(caller: Caller, action: PermissionAction, permissionLists: readonly (readonly string[])[]): boolean {
  if (caller.kind === 'key') return true;
  const held = new Set(callerRoles(caller));
  return permissionLists.some((permissions) => (rolesGranted(permissions, action) ?? []).some((role) => held.has(role)));
}
