/**
 * Where tracing's CPU goes, per process, from four closed-loop runs of the same lab:
 * untraced, spans not sampled (the SDK, its context and the instrumentations), spans exported
 * to a sink (plus making, serialising and sending them), and traced (plus the collector's
 * ingest and store). Each part is the difference between two neighbouring runs.
 */
export type CpuByProcess = Readonly<Record<string, number>>;

export interface TracingPart {
  readonly process: string;
  /** context − untraced: the SDK, its async context, the instrumentations' hooks. */
  readonly context: number;
  /** sink − context: spans made, their attributes, serialised and sent. */
  readonly spans: number;
  /** traced − sink: what receiving and storing them costs (the collector's row). */
  readonly ingest: number;
  /** traced − untraced. */
  readonly total: number;
}

export function tracingShare(runs: {
  traced: CpuByProcess;
  untraced: CpuByProcess;
  context: CpuByProcess;
  sink: CpuByProcess;
}): TracingPart[] {
  const names = [
    ...new Set([runs.traced, runs.untraced, runs.context, runs.sink].flatMap(Object.keys)),
  ];
  const at = (r: CpuByProcess, name: string) => r[name] ?? 0;
  const parts = names.map((name) => ({
    process: name,
    context: at(runs.context, name) - at(runs.untraced, name),
    spans: at(runs.sink, name) - at(runs.context, name),
    ingest: at(runs.traced, name) - at(runs.sink, name),
    total: at(runs.traced, name) - at(runs.untraced, name),
  }));
  const sum = (key: 'context' | 'spans' | 'ingest' | 'total') =>
    parts.reduce((a, p) => a + p[key], 0);
  return [
    ...parts,
    {
      process: 'total',
      context: sum('context'),
      spans: sum('spans'),
      ingest: sum('ingest'),
      total: sum('total'),
    },
  ];
}
