import { fetchJson } from '../errors/index.js';
import type { JsonAnswer } from '../errors/index.js';
import { ScenarioError } from './errors.js';
import type { ScenarioRecord } from './record.js';
import type { ScenarioAutoscale } from './types.js';

/**
 * `tracelab up`'s admin endpoint, as a scenario uses it: faults (`/faults`), intensities
 * (`/intensities`), replicas (`/replicas`), processing's call policies (`/resilience`), the
 * autoscaler (`/autoscale`) and the running scenario (`/scenario`).
 */
export interface AdminClient {
  readonly url: string;
  scenario(): Promise<ScenarioRecord | null>;
  putScenario(record: ScenarioRecord): Promise<void>;
  clearScenario(): Promise<void>;
  faults(): Promise<{ flags: string[]; runtime: string[] }>;
  setFaults(specs: readonly string[]): Promise<void>;
  /** undefined when the lab cannot switch intensities at run time (404). */
  intensities(): Promise<Record<string, string | null> | undefined>;
  setIntensity(service: string, intensity: string | null): Promise<void>;
  /** undefined when the lab cannot switch replicas at run time (404). */
  replicas(): Promise<Record<string, number> | undefined>;
  setReplicas(service: string, replicas: number): Promise<void>;
  /** The run-time resilience settings (`k=v`); undefined when the lab has no /resilience. */
  resilience(): Promise<string[] | undefined>;
  /** Exactly these over the flags (an empty list: the flags alone). */
  setResilience(words: readonly string[]): Promise<void>;
  /** Each service's autoscaling bounds; undefined when the lab has no /autoscale. */
  autoscale(): Promise<Record<string, { min: number; max: number }> | undefined>;
  setAutoscale(setting: ScenarioAutoscale): Promise<void>;
  autoscaleOff(service: string): Promise<void>;
}

export const NO_RUNTIME_INTENSITIES =
  'this lab does not support run-time intensities yet (its admin endpoint has no /intensities): start tracelab up with --intensity <service>=<intensity> instead, or update tracelab';
export const NO_RUNTIME_REPLICAS =
  'this lab does not support run-time replicas yet (its admin endpoint has no /replicas): start tracelab up with --scale <service>=<n> instead, or update tracelab';

export const NO_RUNTIME_RESILIENCE =
  "this lab cannot switch processing's call policies at run time (its admin endpoint has no /resilience): update tracelab and restart tracelab up";
export const NO_RUNTIME_AUTOSCALE =
  'this lab cannot autoscale at run time (its admin endpoint has no /autoscale): update tracelab and restart tracelab up';

/** How long starting or stopping replicas may take before the admin endpoint answers. */
const REPLICAS_TIMEOUT_MS = 60_000;

export function adminClient(adminUrl: string): AdminClient {
  const base = adminUrl.replace(/\/+$/, '');
  const call = (
    path: string,
    method = 'GET',
    body?: unknown,
    timeoutMs = 5000,
  ): Promise<JsonAnswer> =>
    fetchJson(`${base}${path}`, {
      method,
      timeoutMs,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      unreachable: (err) =>
        new ScenarioError(
          'SCN_ERR_UNREACHABLE',
          `no tracelab up answers at ${base} (${err.cause instanceof Error ? err.cause.message : err.message})`,
          { hint: 'start it with tracelab up, or give --admin-url' },
        ),
    });
  const ok = (res: JsonAnswer, what: string): JsonAnswer => {
    if (res.ok) return res;
    const message = (res.body as { message?: string } | undefined)?.message ?? res.text.trim();
    throw new ScenarioError(
      'SCN_ERR_REFUSED',
      `the admin endpoint refused ${what} (${res.status}): ${message}`,
    );
  };
  const unsupported = (res: JsonAnswer, text: string) => {
    if (res.status === 404) throw new ScenarioError('SCN_ERR_UNSUPPORTED', text);
  };
  return {
    url: base,
    async scenario() {
      const res = await call('/scenario');
      if (res.status === 404) {
        throw new ScenarioError(
          'SCN_ERR_UNSUPPORTED',
          'this lab cannot hold a scenario (its admin endpoint has no /scenario): update tracelab and restart tracelab up',
        );
      }
      return (ok(res, 'GET /scenario').body as { scenario: ScenarioRecord | null }).scenario;
    },
    async putScenario(record) {
      ok(await call('/scenario', 'PUT', record), 'the scenario');
    },
    async clearScenario() {
      ok(await call('/scenario', 'DELETE'), 'clearing the scenario');
    },
    async faults() {
      const body = ok(await call('/faults'), 'GET /faults').body as {
        flags?: string[];
        runtime?: string[];
      };
      return { flags: body.flags ?? [], runtime: body.runtime ?? [] };
    },
    async setFaults(specs) {
      if (specs.length > 0)
        ok(await call('/faults', 'POST', { set: specs }), `faults ${specs.join(' ')}`);
    },
    async intensities() {
      const res = await call('/intensities');
      if (res.status === 404) return undefined;
      const body = ok(res, 'GET /intensities').body as Record<string, unknown>;
      return valuesOf(
        body,
        'intensities',
        (v): v is string | null => typeof v === 'string' || v === null,
      );
    },
    async setIntensity(service, intensity) {
      const res = await call('/intensities', 'POST', { service, intensity });
      unsupported(res, NO_RUNTIME_INTENSITIES);
      ok(res, `intensity ${service}=${intensity ?? "the flags'"}`);
    },
    async replicas() {
      const res = await call('/replicas');
      if (res.status === 404) return undefined;
      const body = ok(res, 'GET /replicas').body as Record<string, unknown>;
      return valuesOf(body, 'replicas', (v): v is number => typeof v === 'number');
    },
    async setReplicas(service, replicas) {
      // Answered once the replicas run: starting several processes takes a while.
      const res = await call('/replicas', 'POST', { service, replicas }, REPLICAS_TIMEOUT_MS);
      unsupported(res, NO_RUNTIME_REPLICAS);
      ok(res, `replicas ${service}=${replicas}`);
    },
    async resilience() {
      const res = await call('/resilience');
      if (res.status === 404) return undefined;
      const body = ok(res, 'GET /resilience').body as { runtime?: unknown };
      return Array.isArray(body.runtime)
        ? body.runtime.filter((w): w is string => typeof w === 'string')
        : [];
    },
    async setResilience(words) {
      // Run-time settings add up (POST sets only the fields it names): cleared first, so the
      // policy is the flags' with exactly these over them.
      const cleared = await call('/resilience', 'DELETE');
      unsupported(cleared, NO_RUNTIME_RESILIENCE);
      ok(cleared, 'resilience back to the flags');
      if (words.length > 0) {
        ok(await call('/resilience', 'POST', { set: words }), `resilience ${words.join(' ')}`);
      }
    },
    async autoscale() {
      const res = await call('/autoscale');
      if (res.status === 404) return undefined;
      const body = ok(res, 'GET /autoscale').body as { services?: unknown };
      const services = (body.services ?? {}) as Record<string, unknown>;
      const out: Record<string, { min: number; max: number }> = {};
      for (const [k, v] of Object.entries(services)) {
        const b = v as { min?: unknown; max?: unknown } | null;
        if (typeof b?.min === 'number' && typeof b.max === 'number') {
          out[k] = { min: b.min, max: b.max };
        }
      }
      return out;
    },
    async setAutoscale(setting) {
      const res = await call('/autoscale', 'POST', setting);
      unsupported(res, NO_RUNTIME_AUTOSCALE);
      ok(res, `autoscale ${setting.service}=${setting.min}..${setting.max}`);
    },
    async autoscaleOff(service) {
      const res = await call(`/autoscale?service=${encodeURIComponent(service)}`, 'DELETE');
      unsupported(res, NO_RUNTIME_AUTOSCALE);
      ok(res, `autoscale off for ${service}`);
    },
  };
}

/** `{"<key>": {service: value}}` or `{service: value}`: the values per service, of the right type. */
function valuesOf<T>(
  body: Record<string, unknown>,
  key: string,
  isValue: (v: unknown) => v is T,
): Record<string, T> {
  const inner = body[key];
  const map = (inner && typeof inner === 'object' ? inner : body) as Record<string, unknown>;
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(map)) {
    const service = k.replace(/-service$/, '');
    if (isValue(v)) out[service] = v;
  }
  return out;
}
