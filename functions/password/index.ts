/**
 * The password function's definition: its config, the ports it needs, its routes and errors.
 * Every runtime (Node, Workers, Appwrite Functions) serves it from this one object.
 *
 * @module
 */
import { auditPort } from '../../shared/audit.js';
import { captchaPort } from '../../shared/captcha/index.js';
import { passwordVerifierPort } from '../../shared/passwords/port.js';
import { defineFunction } from '../../shared/platform.js';
import { rateLimitsPort, usersPort } from '../../shared/ports.js';
import { createPasswordApp } from './app.js';
import { passwordConfigSchema } from './config.js';
import { passwordErrors } from './errors.js';
import { passwordRoutes } from './routes.js';

/** Username/password sign-up and sign-in, served under `/password` on shared servers. */
export const passwordFunction = defineFunction({
  name: 'password',
  summary: 'Username and password sign-up and sign-in (argon2id), no email needed.',
  configSchema: passwordConfigSchema,
  ports: { users: usersPort, passwordVerifier: passwordVerifierPort, rateLimitStore: rateLimitsPort, audit: auditPort, captcha: captchaPort },
  routes: passwordRoutes,
  errors: passwordErrors,
  createApp: createPasswordApp,
});

export default passwordFunction;
