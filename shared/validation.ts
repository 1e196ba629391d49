/**
 * Turns zod issues into short messages that name the field and the rule, never the value.
 *
 * @module
 */
import type { z } from 'zod';

/**
 * Describes zod issues as `field: rule` strings, safe for clients and logs alike.
 *
 * @example
 * ```ts
 * const result = schema.safeParse(input);
 * if (!result.success) console.log(describeIssues(result.error.issues)); // ['username is required']
 * ```
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const name = issue.path.map(String).join('.') || 'body';
    if (issue.code === 'invalid_type' && issue.input === undefined) return `${name} is required`;
    return `${name}: ${issue.message}`;
  });
}
