import type { IncomingMessage } from 'node:http';
import {
  describeResilience,
  effectivePolicy,
  parseResilienceSettings,
  ResilienceSpecError,
} from '../workload/index.js';
import type { ResiliencePolicy, ResilienceState } from '../workload/index.js';
import { AdminRefusal, readJson } from './admin-http.js';

export interface ResilienceDeps {
  /** The `--inventory-*` flags `up` hands processing. */
  readonly flags: ResiliencePolicy;
  readonly state: ResilienceState;
}

const EXPECTED = '{"set": ["retries=3", "breaker_failures=5", …]}';

/**
 * `/resilience` on the admin endpoint: the policies around processing's call to inventory.
 *   GET     → { flags, runtime, effective }, each as k=v words
 *   POST {"set": ["retries=0", "timeout_ms=500"]} → switched on every processing replica
 *   DELETE  → back to the flags
 */
export function resilienceRoute(
  deps: ResilienceDeps,
): (req: IncomingMessage, url: URL) => Promise<unknown> {
  const view = async () => {
    const runtime = await deps.state.read();
    return {
      flags: describeResilience(deps.flags),
      runtime: describeResilience(runtime),
      effective: describeResilience(effectivePolicy(deps.flags, runtime)),
    };
  };
  return async (req) => {
    if (req.method === 'GET') return view();
    if (req.method === 'DELETE') {
      await deps.state.clear();
      return view();
    }
    if (req.method !== 'POST') {
      throw new AdminRefusal(405, 'ERR_METHOD_NOT_ALLOWED', 'GET, POST or DELETE /resilience');
    }
    const set = ((await readJson(req, EXPECTED)) as { set?: unknown } | null)?.set;
    if (!Array.isArray(set) || set.length === 0 || !set.every((v) => typeof v === 'string')) {
      throw new AdminRefusal(400, 'ERR_BAD_REQUEST', `body must be ${EXPECTED}`);
    }
    try {
      await deps.state.set(parseResilienceSettings(set));
    } catch (err) {
      if (err instanceof ResilienceSpecError) {
        throw new AdminRefusal(400, 'ERR_BAD_RESILIENCE', err.message);
      }
      throw err;
    }
    return view();
  };
}
