import type { ResourceStats } from '../analysis/index.js';
import { round } from '../errors/index.js';
import type { JaegerSpan, JaegerTrace } from '../model/index.js';

/** Small readers of Jaeger spans that several exercises share. */
export function tagOf(span: JaegerSpan, key: string): string | number | boolean | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}

export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '';
}

export function spansNamed(trace: JaegerTrace, name: string): JaegerSpan[] {
  return trace.spans.filter((s) => s.operationName === name);
}

/** Workload spans: the ones carrying `workload.operation`. */
export function workloadSpans(trace: JaegerTrace): JaegerSpan[] {
  return trace.spans.filter((s) => tagOf(s, 'workload.operation') !== undefined);
}

export function childrenOf(trace: JaegerTrace, span: JaegerSpan): JaegerSpan[] {
  return trace.spans.filter((s) =>
    s.references.some((r) => r.refType === 'CHILD_OF' && r.spanID === span.spanID),
  );
}

/** First start to last end, µs. */
export function traceDurationUs(trace: JaegerTrace): number {
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  return end - start;
}

export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;

export const numbers = (spans: readonly JaegerSpan[], key: string): number[] =>
  spans.flatMap((s) => {
    const v = tagOf(s, key);
    return typeof v === 'number' ? [v] : [];
  });

/** `1.2×`, `38×`: a ratio as a person says it. */
export function times(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'far more';
  return `${ratio >= 10 ? Math.round(ratio).toLocaleString('en') : ratio.toFixed(1)}×`;
}

export const round1 = (x: number | null): number | null => (x === null ? null : round(x, 1));

/**
 * "CPU avg 95 % (max 100 %)", with how many spans it rests on when some were too short to
 * measure, or that none was long enough.
 */
export function cpuText(r: ResourceStats): string {
  if (r.cpuAvg === null) return `CPU not measured (every span too short to measure)`;
  const some =
    r.cpuSpans < r.count
      ? `, from the ${r.cpuSpans} of ${r.count} spans long enough to measure`
      : '';
  return `CPU avg ${r.cpuAvg} % (max ${r.cpuMax ?? '?'} %${some})`;
}
