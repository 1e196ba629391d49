/**
 * The captcha function's definition: its config, the ports it needs, its routes and errors.
 * Every runtime (Node, Workers, Appwrite Functions) serves it from this one object.
 *
 * @module
 */
import { captchaPort } from '../../shared/captcha/index.js';
import { defineFunction } from '../../shared/platform.js';
import { rateLimitsPort, usersPort } from '../../shared/ports.js';
import { deliveryPort } from '../../shared/sign-in/delivery-port.js';
import { createCaptchaApp } from './app.js';
import { captchaFunctionConfigSchema } from './config.js';
import { captchaErrors } from './errors.js';
import { captchaRoutes } from './routes.js';

/** Passwordless sign-in behind a captcha, served under `/captcha` on shared servers. */
export const captchaFunction = defineFunction({
  name: 'captcha',
  summary: 'Passwordless sign-in for humans: a captcha, then a code by email or SMS (or a guest user).',
  configSchema: captchaFunctionConfigSchema,
  ports: { users: usersPort, rateLimitStore: rateLimitsPort, delivery: deliveryPort, captcha: captchaPort },
  routes: captchaRoutes,
  errors: captchaErrors,
  createApp: createCaptchaApp,
});

export default captchaFunction;
