// The bindings of this folder's wrangler.toml, for `import { env } from 'cloudflare:workers'`.
declare namespace Cloudflare {
  interface Env {
    RATE_LIMITER: DurableObjectNamespace;
    ONCE_STORE: DurableObjectNamespace;
  }
}
