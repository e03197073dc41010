/**
 * When each request of a load run is planned to leave, as offsets from the start of the run.
 * Pure: the generator follows this plan whatever the server does (open loop).
 */
export type LoadPlan =
  /** The spec's loop: `count` requests, one every `intervalMs`. */
  | { readonly mode: 'interval'; readonly count: number; readonly intervalMs: number }
  /** All at once. */
  | { readonly mode: 'burst'; readonly count: number }
  /** A steady rate for a while. */
  | { readonly mode: 'rate'; readonly ratePerSec: number; readonly durationMs: number };

/** Planned send times, ms after the start, in order. */
export function plannedSendTimesMs(plan: LoadPlan): Float64Array {
  switch (plan.mode) {
    case 'interval':
      return Float64Array.from({ length: plan.count }, (_, i) => i * plan.intervalMs);
    case 'burst':
      return new Float64Array(plan.count);
    case 'rate': {
      const count = Math.floor((plan.ratePerSec * plan.durationMs) / 1000);
      const gapMs = 1000 / plan.ratePerSec;
      return Float64Array.from({ length: count }, (_, i) => i * gapMs);
    }
  }
}

/** Requests per second the plan asks for; undefined for a burst (all at once). */
export function plannedRatePerSec(plan: LoadPlan): number | undefined {
  switch (plan.mode) {
    case 'interval':
      return 1000 / plan.intervalMs;
    case 'burst':
      return undefined;
    case 'rate':
      return plan.ratePerSec;
  }
}

/**
 * Connections enough that requests can leave on time while the server is slow: one per
 * request for a burst, else two seconds' worth of requests (a server stalled for longer than
 * that makes later requests wait for a connection, which the report counts).
 */
export function defaultConnections(plan: LoadPlan): number {
  const wanted = plan.mode === 'burst' ? plan.count : Math.ceil(2 * (plannedRatePerSec(plan) ?? 1));
  return Math.min(1024, Math.max(4, wanted));
}

/** One line saying what the plan does, for the report's head. */
export function describePlan(plan: LoadPlan): string {
  switch (plan.mode) {
    case 'interval':
      return `${plan.count} request(s), one every ${formatMs(plan.intervalMs)}`;
    case 'burst':
      return `${plan.count} request(s) at once`;
    case 'rate':
      return `${plan.ratePerSec}/s for ${formatMs(plan.durationMs)} (${plannedSendTimesMs(plan).length} requests)`;
  }
}

/** `850 ms`, `1.5 s`, `2 min 5 s`: durations as a person reads them. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(2))} s`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
