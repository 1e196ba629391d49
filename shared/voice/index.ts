/**
 * Reading a sign-in code aloud in a phone call: the `voice` channel of the sign-in pipeline, over
 * Twilio Programmable Voice or, with `npm start`, a development provider that writes to the outbox.
 *
 * @example
 * ```ts
 * ports: { delivery: voicePort }
 * signIn(c, { guards, prove, token: { length: 8, expire: 600 }, deliver: 'voice', text: { subject: '', body: 'Your code is {code}.', language: 'en-US' } });
 * ```
 *
 * @module
 */
export type { VoiceCall, VoiceCaller } from './caller.js';
export { createVoiceChannel, defaultVoiceText } from './channel.js';
export { voiceConfigSchema, type VoiceConfig } from './config.js';
export { DEVELOPMENT_VOICE_NOTICE } from './development.js';
export { voicePort } from './port.js';
export { spellCode } from './speech.js';
export { statusCallbackPort, twilioSignature, type StatusCallbackVerifier } from './status.js';
export { createTwilioCaller } from './twilio.js';
export { codeCallTwiml, escapeXml } from './twiml.js';
export { createTwilioVerify, twilioVerifyConfigSchema, twilioVerifyPort, type TwilioVerify, type VerifyCheck } from './verify.js';
