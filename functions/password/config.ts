/**
 * Environment variables of the password function.
 *
 * @module
 */
import { z } from 'zod';
import { envBool, envInt } from '../../shared/config.js';

/** The password function's configuration schema. Every variable has a safe default. */
export const passwordConfigSchema = z.object({
  /** Length of the token secret returned by `/login`. 64 hex characters = 256 bits. */
  PASSWORD_TOKEN_LENGTH: envInt({ min: 32, max: 128, default: 64 }),
  /** Seconds the secret stays valid. The client exchanges it at once, so the minimum is the default. */
  PASSWORD_TOKEN_EXPIRE: envInt({ min: 60, max: 900, default: 60 }),
  /** Whether `/change` logs the user out of every existing session. */
  PASSWORD_CHANGE_REVOKES_SESSIONS: envBool(true),
  /** Comma-separated origins allowed by CORS, or `*`. */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean)),
});

/** The password function's validated configuration. */
export type PasswordConfig = z.output<typeof passwordConfigSchema>;
