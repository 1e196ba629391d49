/**
 * The test Worker of the Durable Object tests (rate-limit counters and once-store records): it only
 * exports the classes, as the kit's real Worker entry does.
 *
 * @module
 */
export { RateLimitCounter } from '../../shared/rate-limit/durable-object.js';
export { OnceRecord } from '../../shared/once/durable-object.js';

export default {
  fetch(): Response {
    return new Response('Durable Object test worker', { status: 404 });
  },
};
