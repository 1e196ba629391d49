/**
 * The test Worker of the rate-limit Durable Object tests: it only exports the class, as the kit's
 * real Worker entry does.
 *
 * @module
 */
export { RateLimitCounter } from '../../shared/rate-limit/durable-object.js';

export default {
  fetch(): Response {
    return new Response('rate-limit test worker', { status: 404 });
  },
};
