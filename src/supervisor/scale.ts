import { SupervisorError } from './errors.js';
import { SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';

export type Replicas = Readonly<Record<ServiceKind, number>>;

/** The most replicas of one consumer service `up` runs, at start or at run time. */
export const MAX_REPLICAS = 32;

/** Replica counts switched while the lab runs (up's admin endpoint, `tracelab scale`). */
export interface ReplicaControl {
  current(): Replicas;
  /** Starts or gracefully stops replicas of a consumer service; resolves with the counts after. */
  scale(kind: ServiceKind, replicas: number): Promise<Replicas>;
}

/**
 * Parses `--scale processing=3` entries into replica counts (1 each by default; audit, a
 * second consumer group, runs only with `--audit`: 0 without it).
 */
export function parseScale(
  entries: readonly string[],
  options: { audit?: boolean } = {},
): Replicas {
  const replicas: Record<ServiceKind, number> = {
    api: 1,
    processing: 1,
    notification: 1,
    analytics: 1,
    inventory: 1,
    audit: options.audit ? 1 : 0,
  };
  for (const entry of entries) {
    const m = /^([a-z]+)=(\d+)$/.exec(entry.trim());
    if (!m)
      throw new SupervisorError(
        'SUP_ERR_BAD_SCALE',
        `--scale: expected SERVICE=N, e.g. processing=3, got "${entry}"`,
      );
    const kind = m[1] as ServiceKind;
    const n = Number(m[2]);
    if (!SERVICE_KINDS.includes(kind)) {
      throw new SupervisorError(
        'SUP_ERR_BAD_SCALE',
        `--scale: unknown service "${m[1]}"; one of ${SERVICE_KINDS.join(', ')}`,
      );
    }
    if (kind === 'api' && n !== 1) {
      throw new SupervisorError(
        'SUP_ERR_BAD_SCALE',
        '--scale: the API runs once here (one port); scale the consumers, or use docker compose for more',
      );
    }
    if (kind === 'audit' && !options.audit) {
      throw new SupervisorError(
        'SUP_ERR_BAD_SCALE',
        '--scale: audit runs only with --audit (a second consumer group on notified-orders)',
      );
    }
    if (n < 1 || n > MAX_REPLICAS)
      throw new SupervisorError(
        'SUP_ERR_BAD_SCALE',
        `--scale: ${kind} replicas must be from 1 to ${MAX_REPLICAS}, got ${n}`,
      );
    replicas[kind] = n;
  }
  return replicas;
}
