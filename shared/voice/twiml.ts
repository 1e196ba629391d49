/**
 * The TwiML of a code call: `<Say>` the message, pause, say it again. Built as a string with every
 * inserted value XML-escaped, so no text or setting can add an element (a `<Dial>`, a `<Redirect>`).
 *
 * @module
 */
import type { VoiceCall } from './caller.js';

/** Twilio's limit on inline `Twiml` (characters). */
export const TWIML_MAX_CHARS = 4000;

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for an XML element or a quoted attribute.
 *
 * @example
 * ```ts
 * escapeXml('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => entities[character]!);
}

/**
 * The call's TwiML: a second of silence (the callee is still lifting the phone), then the words
 * `repeat` times, two seconds apart, in the call's language and (when set) voice.
 *
 * @example
 * ```ts
 * codeCallTwiml({ userId: 'u', to: '+14155550123', text: 'Your code is 4, Bravo.', language: 'en-US', repeat: 2 });
 * // '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/><Say language="en-US">Your code is 4, Bravo.</Say><Pause length="2"/><Say …'
 * ```
 */
export function codeCallTwiml(call: VoiceCall): string {
  const voice = call.voice ? ` voice="${escapeXml(call.voice)}"` : '';
  const say = `<Say language="${escapeXml(call.language)}"${voice}>${escapeXml(call.text)}</Say>`;
  const body = Array.from({ length: call.repeat }, () => say).join('<Pause length="2"/>');
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/>${body}</Response>`;
}
