/**
 * Spans the services gave up exporting (after the exporter's retries), as the collector
 * serves them at `GET /api/tracelab/dropped-spans` and the UI and `tracelab up` show them.
 */

export const DROPPED_SPANS_PATH = '/api/tracelab/dropped-spans';

export interface DroppedSpansOfService {
  readonly service: string;
  readonly dropped: number;
  /** Why, most spans first. */
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
}

export interface DroppedSpansReport {
  readonly total: number;
  /** Services that dropped any, most first. */
  readonly services: readonly DroppedSpansOfService[];
}

/** "processing-service 120 (collector unreachable), api-service 8 (…)"; '' when none. Pure. */
export function describeDroppedSpans(report: DroppedSpansReport): string {
  return report.services
    .filter((s) => s.dropped > 0)
    .map(
      (s) =>
        `${s.service} ${s.dropped.toLocaleString('en-US')} (${s.reasons.map((r) => r.reason).join(', ')})`,
    )
    .join(', ');
}
