/**
 * The delivery port on its own, not in `shared/ports.ts`: only functions that send codes import it,
 * so only their bundles carry node-appwrite's Messaging service (43 KB minified).
 *
 * @module
 */
import { definePort } from '../platform.js';
import { createMessagingDelivery, type Delivery } from './delivery.js';

/**
 * Email and SMS delivery through Appwrite Messaging (`messages.write`).
 *
 * @example
 * ```ts
 * ports: { delivery: deliveryPort }
 * ```
 */
export const deliveryPort = definePort<Delivery>(
  (runtime) => createMessagingDelivery(runtime.appwrite(), runtime.logger, { now: () => runtime.clock.now(), signal: runtime.signal }),
  ['messages.write'],
);
