import { TracelabError } from '../errors/index.js';
import { SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';

/**
 * Faults a learner can switch on, per service, to see in traces what failure looks like:
 * `<service>.<kind>=<value>`, e.g. `processing.crash=0.05`, `notification.latency=2s`,
 * `analytics.error=0.1`, `processing.leak=1MB`, `api.duplicate=10`,
 * `processing.propagation=drop`, and inventory's database faults, `inventory.n_plus_one=20`,
 * `inventory.db_pool=1`, `inventory.slow_query=on`, `inventory.lock=on`, and
 * `inventory.latency_share=0.2` (the latency on a fifth of the handlings). Pure: parsing and
 * describing; the services apply them (see injector.ts; inventory's database faults are
 * applied by inventory itself).
 */
export const FAULT_KINDS = [
  'crash',
  'error',
  'latency',
  'leak',
  'duplicate',
  'propagation',
  'n_plus_one',
  'db_pool',
  'slow_query',
  'lock',
  'latency_share',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults of inventory's database work: only inventory takes them. */
const DATABASE_FAULTS: readonly FaultKind[] = ['n_plus_one', 'db_pool', 'slow_query', 'lock'];
/** Faults switched on or off rather than given an amount: `on` is 1. */
const SWITCHES: readonly FaultKind[] = ['slow_query', 'lock'];

export interface ServiceFaults {
  /** Probability that handling an order kills the process (0 to 1). */
  readonly crash?: number;
  /** Probability that handling an order fails with an error (0 to 1). */
  readonly error?: number;
  /** Added to each order's handling, inside its stage span (ms). */
  readonly latency?: number;
  /**
   * The share of handlings (0 to 1) the latency is added to, drawn per handling; absent: all.
   * Some calls slow, not every one: what a timeout is for.
   */
  readonly latency_share?: number;
  /** Memory kept for good by each order handled (bytes): a leak the monitor shows. */
  readonly leak?: number;
  /** Extra copies of each order the API publishes: a queue flood (API only). */
  readonly duplicate?: number;
  /** 1: the service passes no trace context on (its messages carry no traceparent). */
  readonly propagation?: number;
  /** Inventory reads this many stock rows one query each instead of one query (N+1). */
  readonly n_plus_one?: number;
  /** Inventory's pool of database connections shrunk (or grown) to this many. */
  readonly db_pool?: number;
  /** 1: the lookup's index is dropped, so it scans (recreated when switched off). */
  readonly slow_query?: number;
  /** 1: every reservation updates one hot row inside its transaction, held to commit. */
  readonly lock?: number;
}

export type FaultSet = Partial<Record<ServiceKind, ServiceFaults>>;

export interface FaultSetting {
  readonly service: ServiceKind;
  readonly kind: FaultKind;
  /** 0 switches the fault off. */
  readonly value: number;
}

/** A fault setting a user wrote that cannot be read: says what was expected. */
export class FaultSpecError extends TracelabError {
  constructor(message: string) {
    super('FAULT_ERR_SPEC', message);
  }
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const UNITS_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function parseAmount(text: string, units: Record<string, number>, unitless: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return NaN;
  const unit = m[2]!.toLowerCase();
  const factor = unit === '' ? unitless : units[unit];
  return factor === undefined ? NaN : Number(m[1]) * factor;
}

const EXPECTED: Record<FaultKind, string> = {
  crash: 'a probability from 0 to 1, e.g. processing.crash=0.05',
  error: 'a probability from 0 to 1, e.g. analytics.error=0.1',
  latency: 'a duration, e.g. notification.latency=2s or 500ms',
  leak: 'a size per order, e.g. processing.leak=1MB or 512KB',
  duplicate: 'a whole number of extra copies from 0 to 1000, e.g. api.duplicate=10',
  propagation: 'drop or off, e.g. processing.propagation=drop',
  n_plus_one: 'a whole number of single-row queries from 0 to 1000, e.g. inventory.n_plus_one=20',
  db_pool: 'a whole number of pooled connections from 1 to 100, e.g. inventory.db_pool=1',
  slow_query: 'on or off, e.g. inventory.slow_query=on',
  lock: 'on or off, e.g. inventory.lock=on',
  latency_share:
    'a probability from 0 to 1, the share of handlings the latency is added to, e.g. inventory.latency_share=0.2',
};

/** `drop` is stored as 1 (the run-time state keeps numbers): both read back as a drop. */
const PROPAGATION_VALUES: Record<string, number> = { drop: 1, '1': 1, off: 0, '0': 0 };

/** Parses one `<service>.<kind>=<value>`. */
export function parseFaultSetting(text: string): FaultSetting {
  const m = /^\s*([a-z]+)\.([a-z_]+)\s*=\s*(.+?)\s*$/.exec(text);
  if (!m) {
    throw new FaultSpecError(
      `"${text}" is not a fault: write <service>.<kind>=<value>, e.g. processing.crash=0.05`,
    );
  }
  const [, service, kind, raw] = m as unknown as [string, string, string, string];
  if (!(SERVICE_KINDS as readonly string[]).includes(service)) {
    throw new FaultSpecError(`"${text}": no service "${service}" (${SERVICE_KINDS.join(', ')})`);
  }
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new FaultSpecError(`"${text}": no fault "${kind}" (${FAULT_KINDS.join(', ')})`);
  }
  const k = kind as FaultKind;
  if (k === 'duplicate' && service !== 'api') {
    throw new FaultSpecError(
      `"${text}": duplicate floods the queue from the API: use api.duplicate`,
    );
  }
  if (DATABASE_FAULTS.includes(k) && service !== 'inventory') {
    throw new FaultSpecError(
      `"${text}": ${k} is a fault of inventory's database work: use inventory.${k}`,
    );
  }
  const value =
    raw === 'off'
      ? 0
      : raw === 'on' && SWITCHES.includes(k)
        ? 1
        : k === 'latency'
          ? parseAmount(raw, UNITS_MS, 1)
          : k === 'leak'
            ? parseAmount(raw, UNITS_BYTES, 1)
            : k === 'propagation'
              ? (PROPAGATION_VALUES[raw] ?? NaN)
              : Number(raw);
  const ok =
    Number.isFinite(value) &&
    value >= 0 &&
    (k === 'crash' || k === 'error' || k === 'latency_share' ? value <= 1 : true) &&
    (k === 'duplicate' ? Number.isInteger(value) && value <= 1000 : true) &&
    (k === 'latency' ? value <= 600_000 : true) &&
    (k === 'leak' ? value <= 1024 ** 3 : true) &&
    (SWITCHES.includes(k) ? value === 0 || value === 1 : true) &&
    (k === 'n_plus_one' ? Number.isInteger(value) && value <= 1000 : true) &&
    (k === 'db_pool' ? Number.isInteger(value) && value <= 100 : true);
  if (!ok) throw new FaultSpecError(`"${text}": ${k} takes ${EXPECTED[k]}`);
  return { service: service as ServiceKind, kind: k, value };
}

/** Applies settings in order over a set; a 0 value removes the fault. */
export function applyFaultSettings(base: FaultSet, settings: readonly FaultSetting[]): FaultSet {
  const out: Record<string, Record<string, number>> = {};
  for (const [service, faults] of Object.entries(base)) out[service] = { ...faults };
  for (const s of settings) {
    const faults = (out[s.service] ??= {});
    if (s.value === 0) delete faults[s.kind];
    else faults[s.kind] = s.value;
    if (Object.keys(faults).length === 0) delete out[s.service];
  }
  return out;
}

/** The settings that make up a set, as `<service>.<kind>=<value>` strings a user can read. */
export function describeFaults(set: FaultSet): string[] {
  const out: string[] = [];
  for (const service of SERVICE_KINDS) {
    const faults = set[service];
    if (!faults) continue;
    for (const kind of FAULT_KINDS) {
      const v = faults[kind];
      if (v === undefined) continue;
      const shown =
        kind === 'latency'
          ? v % 1000 === 0
            ? `${v / 1000}s`
            : `${v}ms`
          : kind === 'leak'
            ? v % 1024 ** 2 === 0
              ? `${v / 1024 ** 2}MB`
              : `${v}B`
            : kind === 'propagation'
              ? 'drop'
              : SWITCHES.includes(kind)
                ? 'on'
                : String(v);
      out.push(`${service}.${kind}=${shown}`);
    }
  }
  return out;
}
