/**
 * What a voice provider does: place one call that speaks a text. The channel (`channel.ts`) turns
 * a token into that text; providers (`twilio.ts`, `development.ts`) only dial.
 *
 * @module
 */

/** One call to place. `text` holds the secret: providers never log it. */
export interface VoiceCall {
  /** Whose code it is, for logs and the development outbox. */
  userId: string;
  /** E.164. */
  to: string;
  /** The words, spoken `repeat` times. */
  text: string;
  /** BCP 47 tag for the text-to-speech voice, e.g. `en-US`. */
  language: string;
  /** The provider's voice name (Twilio: `man`, `woman`, `Polly.Joanna`, ...); its default when absent. */
  voice?: string | undefined;
  repeat: number;
}

/** A voice provider. */
export interface VoiceCaller {
  /** Resolves once the provider accepted the call; throws `delivery_unavailable` when it did not. */
  call(call: VoiceCall): Promise<void>;
}
