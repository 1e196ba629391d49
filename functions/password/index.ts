/**
 * The password function's definition, as every runtime adapter loads it.
 *
 * @module
 */
import { defineFunction } from '../../shared/platform.js';
import { createPasswordApp } from './app.js';
import { passwordConfigSchema } from './config.js';

/** Username/password sign-up and sign-in, served under `/password` on shared servers. */
export const passwordFunction = defineFunction({
  name: 'password',
  configSchema: passwordConfigSchema,
  createApp: createPasswordApp,
});
