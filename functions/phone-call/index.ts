/**
 * The phone-call function's definition: its config, the ports it needs, its routes and errors.
 * Every runtime (Node, Workers, Appwrite Functions) serves it from this one object.
 *
 * @module
 */
import { captchaPort } from '../../shared/captcha/index.js';
import { defineFunction } from '../../shared/platform.js';
import { rateLimitsPort, usersPort } from '../../shared/ports.js';
import { statusCallbackPort, twilioVerifyPort, voicePort } from '../../shared/voice/index.js';
import { createPhoneCallApp } from './app.js';
import { phoneCallConfigSchema } from './config.js';
import { phoneCallErrors } from './errors.js';
import { phoneCallRoutes } from './routes.js';

/** Phone-number sign-in by a voice call that reads the code, served under `/phone-call` on shared servers. */
export const phoneCallFunction = defineFunction({
  name: 'phone-call',
  summary: 'Passwordless sign-in by phone call: a captcha, then a call that reads a code aloud (for users who cannot receive SMS).',
  configSchema: phoneCallConfigSchema,
  ports: { users: usersPort, rateLimitStore: rateLimitsPort, delivery: voicePort, captcha: captchaPort, statusCallback: statusCallbackPort, verify: twilioVerifyPort },
  routes: phoneCallRoutes,
  errors: phoneCallErrors,
  createApp: createPhoneCallApp,
});

export default phoneCallFunction;
