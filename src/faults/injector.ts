import type { Span } from '@opentelemetry/api';
import { round } from '../errors/index.js';
import type { ServiceKind } from '../model/index.js';
import { applyFaultSettings } from './spec.js';
import type { FaultSet, ServiceFaults } from './spec.js';
import type { FaultState } from './state.js';

/** Span attribute naming the faults injected into this handling, e.g. `crash` or `latency`. */
export const ATTR_FAULT = 'tracelab.fault';
export const ATTR_FAULT_LATENCY_MS = 'tracelab.fault.latency_ms';
export const ATTR_FAULT_LEAKED_MB = 'tracelab.fault.leaked_mb';
export const ATTR_FAULT_DUPLICATES = 'tracelab.fault.duplicates';

/** An error the user asked for (`<service>.error`): handled like any failure. */
export class InjectedError extends Error {
  override readonly name = 'InjectedError';
}

/** Thrown to stop the handling where it is; the service then kills its own process. */
export class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

export interface FaultInjector {
  /** The faults in force for this service now. */
  current(): ServiceFaults;
  /**
   * Inside the stage span, before its steps: waits (latency), leaks, fails (error) or stops
   * (crash), marking the span with what it did.
   */
  beforeStage(span: Span): Promise<void>;
  /** Extra copies of an order to publish (the API's queue flood), marked on the span. */
  duplicates(span: Span): number;
  /**
   * Whether a message published under `span` (a `send` span) carries the trace context on:
   * false under `<service>.propagation=drop`, which marks the span.
   */
  propagates(span: Span): boolean;
  /**
   * Inventory's database faults in force (`n_plus_one`, `db_pool`, `slow_query`, `lock`),
   * each marked on the span: what this order's reservation runs under.
   */
  databaseFaults(span: Span): DatabaseFaults;
  close(): void;
}

/** Inventory's database faults in force; absent: off. */
export interface DatabaseFaults {
  readonly nPlusOne?: number;
  readonly poolSize?: number;
  readonly slowQuery?: boolean;
  readonly hotRowLock?: boolean;
}

export interface FaultInjectorOptions {
  readonly service: ServiceKind;
  /** What the service's flags say. */
  readonly base: FaultSet;
  /** Run-time switches; read every `refreshMs`. */
  readonly state?: FaultState;
  readonly refreshMs?: number;
  readonly random?: () => number;
}

/** Memory a `leak` fault keeps: reachable for the life of the process, on purpose. */
const leaked: Buffer[] = [];

export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  const random = options.random ?? Math.random;
  let faults: ServiceFaults = options.base[options.service] ?? {};
  let timer: NodeJS.Timeout | undefined;
  if (options.state) {
    const state = options.state;
    const refresh = () =>
      state.read().then(
        (settings) => {
          faults = applyFaultSettings(options.base, settings)[options.service] ?? {};
        },
        // Redis away: keep the faults last read.
        () => undefined,
      );
    void refresh();
    timer = setInterval(() => void refresh(), options.refreshMs ?? 1000);
    timer.unref();
  }
  // Several faults can hit one span: the attribute lists them all, comma-separated.
  const marked = new WeakMap<Span, string[]>();
  const mark = (span: Span, kind: string) => {
    const kinds = [...(marked.get(span) ?? []), kind];
    marked.set(span, kinds);
    span.setAttribute(ATTR_FAULT, kinds.join(','));
  };

  return {
    current: () => faults,
    async beforeStage(span) {
      const f = faults;
      if (f.latency && (f.latency_share === undefined || random() < f.latency_share)) {
        mark(span, 'latency');
        span.setAttribute(ATTR_FAULT_LATENCY_MS, f.latency);
        await new Promise((resolve) => setTimeout(resolve, f.latency));
      }
      if (f.leak) {
        // Filled, so the pages are really touched and the process's memory grows.
        leaked.push(Buffer.alloc(f.leak, 1));
        mark(span, 'leak');
        const total = leaked.reduce((n, b) => n + b.length, 0);
        span.setAttribute(ATTR_FAULT_LEAKED_MB, round(total / 1024 ** 2, 2));
      }
      if (f.error && random() < f.error) {
        mark(span, 'error');
        throw new InjectedError(`injected fault: ${options.service}.error=${f.error}`);
      }
      if (f.crash && random() < f.crash) {
        mark(span, 'crash');
        throw new InjectedCrash(`injected fault: ${options.service}.crash=${f.crash}`);
      }
    },
    duplicates(span) {
      const n = faults.duplicate ?? 0;
      if (n > 0) {
        mark(span, 'duplicate');
        span.setAttribute(ATTR_FAULT_DUPLICATES, n);
      }
      return n;
    },
    propagates(span) {
      if (!faults.propagation) return true;
      mark(span, 'propagation');
      return false;
    },
    databaseFaults(span) {
      const f = faults;
      const out: { -readonly [K in keyof DatabaseFaults]: DatabaseFaults[K] } = {};
      if (f.n_plus_one) {
        mark(span, 'n_plus_one');
        out.nPlusOne = f.n_plus_one;
      }
      if (f.db_pool) {
        mark(span, 'db_pool');
        out.poolSize = f.db_pool;
      }
      if (f.slow_query) {
        mark(span, 'slow_query');
        out.slowQuery = true;
      }
      if (f.lock) {
        mark(span, 'lock');
        out.hotRowLock = true;
      }
      return out;
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
