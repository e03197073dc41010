import { SERVICES } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import type { AutoscaleBounds } from './autoscale-decision.js';
import { SupervisorError } from './errors.js';
import { MAX_REPLICAS } from './scale.js';
import type { Replicas } from './scale.js';

/** The services the autoscaler may scale: the consumers (the API runs once, inventory is fixed). */
export const AUTOSCALED_KINDS = ['processing', 'notification', 'analytics'] as const;
export type AutoscaledKind = (typeof AUTOSCALED_KINDS)[number];

export type AutoscaleBoundsMap = Partial<Record<AutoscaledKind, AutoscaleBounds>>;

export function isAutoscaledKind(s: string): s is AutoscaledKind {
  return (AUTOSCALED_KINDS as readonly string[]).includes(s);
}

/**
 * What is wrong with a service and its bounds, in words, or undefined: shared by the flag
 * (an error at start) and the admin endpoint (a 400).
 */
export function boundsProblem(service: string, min: unknown, max: unknown): string | undefined {
  if (!isAutoscaledKind(service)) {
    return `cannot autoscale "${service}": one of ${AUTOSCALED_KINDS.join(', ')} (the consumers)`;
  }
  const whole = (n: unknown) => typeof n === 'number' && Number.isInteger(n);
  if (!whole(min) || !whole(max) || (min as number) < 1 || (max as number) > MAX_REPLICAS) {
    return `${service}: MIN and MAX are whole numbers from 1 to ${MAX_REPLICAS}, got ${String(min)}..${String(max)}`;
  }
  if ((min as number) > (max as number)) {
    return `${service}: MIN ${String(min)} is above MAX ${String(max)}`;
  }
  return undefined;
}

/** `processing=1..3` → the service and its bounds; undefined when the words are not of that form. */
export function parseBoundsEntry(
  entry: string,
): { service: string; bounds: AutoscaleBounds } | undefined {
  const m = /^([a-z-]+)=(\d+)\.\.(\d+)$/.exec(entry.trim());
  if (!m) return undefined;
  return { service: m[1]!, bounds: { min: Number(m[2]), max: Number(m[3]) } };
}

/** `--autoscale processing=1..3` entries (repeatable) into bounds per service. */
export function parseAutoscale(entries: readonly string[]): AutoscaleBoundsMap {
  const out: AutoscaleBoundsMap = {};
  for (const entry of entries) {
    const parsed = parseBoundsEntry(entry);
    if (!parsed) {
      throw new SupervisorError(
        'SUP_ERR_BAD_AUTOSCALE',
        `--autoscale: expected SERVICE=MIN..MAX, e.g. processing=1..3, got "${entry}"`,
      );
    }
    const problem = boundsProblem(parsed.service, parsed.bounds.min, parsed.bounds.max);
    if (problem) throw new SupervisorError('SUP_ERR_BAD_AUTOSCALE', `--autoscale: ${problem}`);
    out[parsed.service as AutoscaledKind] = parsed.bounds;
  }
  return out;
}

/** The consumer group and topic whose backlog decides a service's replica count. */
export function groupOf(kind: ServiceKind): { group: string; topic: string } | undefined {
  const def = SERVICES[kind];
  return def.consumes ? { group: def.serviceName, topic: def.consumes } : undefined;
}

/** The replica counts up starts with: each autoscaled service's `--scale` held within its bounds. */
export function withinBounds(replicas: Replicas, bounds: AutoscaleBoundsMap): Replicas {
  const out = { ...replicas };
  for (const kind of AUTOSCALED_KINDS) {
    const b = bounds[kind];
    if (b) out[kind] = Math.min(b.max, Math.max(b.min, out[kind]));
  }
  return out;
}
