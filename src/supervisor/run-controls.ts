import { INTENSITIES, isIntensity } from '../workload/index.js';
import type { ForcedIntensities, Intensity } from '../workload/index.js';
import { isServiceKind, SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { AdminRefusal } from './admin-http.js';
import { MAX_REPLICAS } from './scale.js';
import type { AutoscaleBounds, AutoscaleTuning } from './autoscale-decision.js';
import { AUTOSCALED_KINDS, boundsProblem, isAutoscaledKind } from './autoscale-spec.js';
import type { AutoscaledKind } from './autoscale-spec.js';

/**
 * What the admin endpoint's run-time controls accept, as pure checks of a parsed JSON body:
 * each refusal is a 400 with a code and a message that says what would be accepted.
 */
export interface IntensityRequest {
  readonly service: ServiceKind;
  /** `null`: back to the flags' value. */
  readonly intensity: Intensity | null;
}

export interface ReplicasRequest {
  readonly service: ServiceKind;
  readonly replicas: number;
}

const INTENSITY_BODY = '{"service": "<service>", "intensity": "<intensity>" or null}';
const REPLICAS_BODY = '{"service": "<service>", "replicas": <1 to 32>}';

export function parseIntensityRequest(body: unknown): IntensityRequest {
  const { service, value } = serviceAnd(body, 'intensity', INTENSITY_BODY);
  if (value !== null && !isIntensity(value)) {
    throw new AdminRefusal(
      400,
      'ERR_BAD_INTENSITY',
      `no intensity ${JSON.stringify(value)}: one of ${INTENSITIES.join(', ')}, or null for the flags' value`,
    );
  }
  return { service, intensity: value };
}

export function parseReplicasRequest(body: unknown): ReplicasRequest {
  const { service, value } = serviceAnd(body, 'replicas', REPLICAS_BODY);
  if (service === 'api') {
    throw new AdminRefusal(
      400,
      'ERR_NOT_SCALABLE',
      'the API runs once here (one port); scale a consumer: processing, notification, analytics or audit',
    );
  }
  if (service === 'inventory') {
    throw new AdminRefusal(
      400,
      'ERR_NOT_SCALABLE',
      "inventory's replicas are set as up starts (--scale inventory=N), when processing is given their addresses; scale a consumer: processing, notification, analytics or audit",
    );
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AdminRefusal(
      400,
      'ERR_BAD_REPLICAS',
      `replicas must be a whole number from 1 to ${MAX_REPLICAS}, got ${JSON.stringify(value)}`,
    );
  }
  if (value < 1 || value > MAX_REPLICAS) {
    throw new AdminRefusal(
      400,
      'ERR_REPLICAS_OUT_OF_RANGE',
      `${service} replicas must be from 1 to ${MAX_REPLICAS}, got ${value}`,
    );
  }
  return { service, replicas: value };
}

function serviceAnd(
  body: unknown,
  field: string,
  expected: string,
): { service: ServiceKind; value: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !(field in body)) {
    throw new AdminRefusal(400, 'ERR_BAD_REQUEST', `body must be ${expected}`);
  }
  const { service, [field]: value } = body as Record<string, unknown>;
  if (typeof service !== 'string' || !isServiceKind(service)) {
    throw new AdminRefusal(
      400,
      'ERR_UNKNOWN_SERVICE',
      `no service ${JSON.stringify(service)}: one of ${SERVICE_KINDS.join(', ')}`,
    );
  }
  return { service, value };
}

/** Every service's forced intensity: the run-time switch, else the flags', else null (its mix). */
export function intensitiesView(flags: ForcedIntensities, runtime: ForcedIntensities) {
  const each = (pick: (s: ServiceKind) => Intensity | undefined) =>
    Object.fromEntries(SERVICE_KINDS.map((s) => [s, pick(s) ?? null])) as Record<
      ServiceKind,
      Intensity | null
    >;
  return {
    intensities: each((s) => runtime[s] ?? flags[s]),
    flags: each((s) => flags[s]),
    runtime: each((s) => runtime[s]),
  };
}

export interface AutoscaleRequest {
  readonly service: AutoscaledKind;
  readonly bounds: AutoscaleBounds;
  /** The service's own threshold and window, over up's flags (a scenario's slow autoscaler). */
  readonly tuning?: AutoscaleTuning;
}

const AUTOSCALE_BODY =
  '{"service": "<processing|notification|analytics>", "min": <n>, "max": <n>, "lag"?: <n>, "windowMs"?: <ms>}';

/** Bounds of the optional tuning fields: whole numbers. */
const TUNING_RANGES = { lag: [0, 100_000], windowMs: [0, 600_000] } as const;

function parseTuning(body: Record<string, unknown>): AutoscaleTuning | undefined {
  const tuning: Record<string, number> = {};
  for (const [key, [lo, hi]] of Object.entries(TUNING_RANGES)) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new AdminRefusal(
        400,
        'ERR_BAD_AUTOSCALE_TUNING',
        `${key} must be a whole number from ${lo} to ${hi}, got ${JSON.stringify(v)}`,
      );
    }
    tuning[key] = v;
  }
  return Object.keys(tuning).length > 0 ? tuning : undefined;
}

/** POST /autoscale: a consumer and its bounds, each refusal a coded 400. */
export function parseAutoscaleRequest(body: unknown): AutoscaleRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminRefusal(400, 'ERR_BAD_REQUEST', `body must be ${AUTOSCALE_BODY}`);
  }
  const { service, min, max } = body as Record<string, unknown>;
  if (typeof service !== 'string') {
    throw new AdminRefusal(400, 'ERR_BAD_REQUEST', `body must be ${AUTOSCALE_BODY}`);
  }
  const problem = boundsProblem(service, min, max);
  if (problem) {
    const code = isAutoscaledKind(service) ? 'ERR_BAD_BOUNDS' : 'ERR_NOT_AUTOSCALABLE';
    throw new AdminRefusal(400, code, problem);
  }
  const tuning = parseTuning(body as Record<string, unknown>);
  return {
    service: service as AutoscaledKind,
    bounds: { min: min as number, max: max as number },
    ...(tuning ? { tuning } : {}),
  };
}

/** DELETE /autoscale?service=<s>: one service's autoscaling off; without it, every one's. */
export function parseAutoscaleOff(service: string | null): AutoscaledKind | undefined {
  if (service === null) return undefined;
  if (!isAutoscaledKind(service)) {
    throw new AdminRefusal(
      400,
      'ERR_NOT_AUTOSCALABLE',
      `cannot autoscale "${service}": one of ${AUTOSCALED_KINDS.join(', ')}`,
    );
  }
  return service;
}
