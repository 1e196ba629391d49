/**
 * The voice port: the `voice` delivery channel `VOICE_PROVIDER` configures.
 *
 * @module
 */
import { ConfigError, parseConfig } from '../config.js';
import { definePort, type RuntimeServices } from '../platform.js';
import { fetchPort } from '../ports.js';
import type { Delivery } from '../sign-in/delivery.js';
import type { VoiceCaller } from './caller.js';
import { createVoiceChannel } from './channel.js';
import { voiceConfigSchema } from './config.js';
import { createDevelopmentCaller, DEVELOPMENT_VOICE_NOTICE } from './development.js';
import { createTwilioCaller } from './twilio.js';

function createCaller(runtime: RuntimeServices): VoiceCaller | null {
  const config = parseConfig(voiceConfigSchema, runtime.env);
  switch (config.VOICE_PROVIDER) {
    case undefined:
      return null;
    case 'development':
      if (!runtime.development || !runtime.developmentOutbox) {
        throw new ConfigError(['VOICE_PROVIDER: development places no calls, so it runs only with npm start and the embedded Appwrite; set twilio']);
      }
      runtime.notice(DEVELOPMENT_VOICE_NOTICE);
      return createDevelopmentCaller(runtime.developmentOutbox, runtime.logger, () => runtime.clock.now());
    case 'twilio':
      return createTwilioCaller({
        // The schema requires both for twilio; this narrows the types.
        config: { ...config, TWILIO_ACCOUNT_SID: config.TWILIO_ACCOUNT_SID!, TWILIO_FROM_NUMBER: config.TWILIO_FROM_NUMBER! },
        fetch: fetchPort.create(runtime),
        logger: runtime.logger,
      });
  }
}

/**
 * `{ voice }` when `VOICE_PROVIDER` is set, else `{}` (the function using it refuses to start).
 * No Appwrite scopes: the call goes to the provider, not through Appwrite.
 *
 * @example
 * ```ts
 * ports: { delivery: voicePort }
 * signIn(c, { ..., deliver: 'voice' });
 * ```
 */
export const voicePort = definePort<Delivery>((runtime) => {
  const caller = createCaller(runtime);
  if (!caller) return {};
  const { VOICE_NAME, VOICE_REPEAT } = parseConfig(voiceConfigSchema, runtime.env);
  return { voice: createVoiceChannel(caller, { voice: VOICE_NAME, repeat: VOICE_REPEAT, now: () => runtime.clock.now(), logger: runtime.logger }) };
});
