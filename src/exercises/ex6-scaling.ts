import { availableParallelism } from 'node:os';
import {
  analyzeTraces,
  compareReports,
  formatDuration,
  formatPercent,
  ordinal,
} from '../analysis/index.js';
import type { AnalysisReport, ReportComparison } from '../analysis/index.js';
import { SERVICES, TOPICS } from '../model/index.js';
import type { JaegerTrace } from '../model/index.js';
import { ExerciseError } from './errors.js';
import { readTraces, sendOrders } from './lab.js';
import type { Lab } from './lab.js';
import { round1 } from './figures.js';
import { estimateScaling } from './scaling-estimate.js';
import type { ScalingEstimate } from './scaling-estimate.js';
import type { Exercise, ExerciseContext } from './types.js';

const ORDERS = 8;
const PROCESSING = SERVICES.processing.serviceName;
/** One variant: its own lab, the same burst, its traces and their analysis. */
async function runVariant(
  ctx: ExerciseContext,
  replicas: number,
  label: string,
): Promise<{ traces: JaegerTrace[]; report: AnalysisReport }> {
  const lab = await ctx.startLab(
    ['--scale', `processing=${replicas}`, '--intensity', 'processing=heavy'],
    label,
  );
  try {
    const variantLab: Lab = { ...lab, progress: (t) => lab.progress(`${label}: ${t}`) };
    const orders = await sendOrders(
      variantLab,
      { mode: 'burst', count: ORDERS },
      { item: 'exercise-6', quantity: 1 },
      `${ORDERS} orders at once`,
    );
    const traces = await readTraces(variantLab, orders);
    return { traces, report: analyzeTraces(traces) };
  } finally {
    await lab.stop();
  }
}

function processingOf(report: AnalysisReport) {
  const c = report.consumers.find((x) => x.service === PROCESSING && x.topic === TOPICS.orders);
  const hop = report.hops.find((h) => h.toService === PROCESSING && h.topic === TOPICS.orders);
  if (!c || !hop)
    throw new ExerciseError('EX_ERR_NO_DATA', `no ${PROCESSING} figures in the traces`);
  // Orders a second the consumer can finish: replicas over the time one order holds one.
  const limitPerSec = c.serviceTime.meanUs > 0 ? (c.instances * 1e6) / c.serviceTime.meanUs : null;
  return { c, hop, limitPerSec };
}

/** Both variants measured: processing's figures in each, their comparison, the estimate. */
interface Measured {
  readonly base: Variant;
  readonly next: Variant;
  readonly b: ReturnType<typeof processingOf>;
  readonly n: ReturnType<typeof processingOf>;
  readonly cmp: ReportComparison;
  /** The change of the wait in the orders topic for processing. */
  readonly hop: ReportComparison['hops'][number] | undefined;
  readonly cores: number;
  readonly est: ScalingEstimate;
}

type Variant = Awaited<ReturnType<typeof runVariant>>;

/** Compares the two variants and estimates, from the baseline, what scaling should gain. */
function measure(base: Variant, next: Variant): Measured {
  const b = processingOf(base.report);
  const n = processingOf(next.report);
  const cmp = compareReports(base.report, next.report);
  const hop = cmp.hops.find((h) => h.topic === TOPICS.orders && h.toService === PROCESSING);
  const cores = availableParallelism();
  const est = estimateScaling(
    b.c.messages,
    {
      replicas: b.c.instances,
      serviceUs: b.c.serviceTime.meanUs,
      meanWaitUs: hop?.baseMeanUs ?? null,
    },
    {
      replicas: n.c.instances,
      serviceUs: n.c.serviceTime.meanUs,
      meanWaitUs: hop?.nextMeanUs ?? null,
    },
    cores,
  );
  return { base, next, b, n, cmp, hop, cores, est };
}

const perSec = (x: number | null) => (x === null ? '?' : `${round1(x)} orders/s`);
const util = (u: number | null) => (u === null ? 'n/a' : `${round1(u)}×`);
const rank = (p: { rank: number } | null) => (p ? `${ordinal(p.rank)} order` : 'last order');

/** The answer in words: the limitation, the designs, the estimate, then what was measured. */
function answerOf(m: Measured): string[] {
  const { b, n, cmp, hop, cores, est } = m;
  const moved = m.next.report.bottleneck;
  const messages = b.c.messages;
  return [
    `Limitation: ${PROCESSING} handles one order at a time and takes ${formatDuration(b.c.serviceTime.meanUs)} per order (mean service time), so it finishes at most ${perSec(b.limitPerSec)}; ` +
      `a burst of ${messages} queues in \`${TOPICS.orders}\` (the ${rank(b.hop.growth.last)} waited ${formatDuration(b.hop.growth.last?.waitUs ?? 0)}; utilisation ${util(b.c.utilisation)}).`,
    '',
    'Designs, and the knob each has in this lab:',
    `  horizontal scaling: more replicas in the consumer group (\`tracelab up --scale processing=2\`; \`docker compose up --scale processing-service=2\`), each takes its share of the queue;`,
    '  load balancing: the consumer group is the balancer: Redis Streams hands each message to one idle consumer, Kafka splits the partitions among replicas (six per topic in the Docker stack);',
    "  async processing: let one replica take several orders at once (`--concurrency 2`): CPU work already runs on worker threads, so a second order overlaps the first one's I/O and waiting.",
    '',
    est.estimateLine,
    '',
    `Measured, ${messages} orders at once, processing forced heavy, 1 replica → 2, on ${cores} cores:`,
    ...[
      [
        `service time per replica`,
        `${formatDuration(b.c.serviceTime.meanUs)} → ${formatDuration(n.c.serviceTime.meanUs)} (mean \`process ${TOPICS.orders}\`)`,
      ],
      [
        `${PROCESSING} capacity`,
        `${perSec(b.limitPerSec)} → ${perSec(n.limitPerSec)} (${n.c.instances} replicas seen)`,
      ],
      [`utilisation`, `${util(b.c.utilisation)} → ${util(n.c.utilisation)}`],
      [
        `mean wait in \`${TOPICS.orders}\``,
        `${formatDuration(hop?.baseMeanUs ?? 0)} → ${formatDuration(hop?.nextMeanUs ?? 0)} (${formatPercent(hop?.deltaPct ?? null)}; estimate ${formatPercent(est.estimatedPct)})`,
      ],
      [
        `wait of the last to arrive`,
        `${rank(b.hop.growth.last)} ${formatDuration(b.hop.growth.last?.waitUs ?? 0)} → ${rank(n.hop.growth.last)} ${formatDuration(n.hop.growth.last?.waitUs ?? 0)}`,
      ],
      [
        'end to end p50',
        `${formatDuration(cmp.endToEnd.baseP50Us)} → ${formatDuration(cmp.endToEnd.nextP50Us)} (${formatPercent(cmp.endToEnd.deltaPct)})`,
      ],
    ].map(([k, v]) => `  ${k!.padEnd(30)} ${v}`),
    '',
    ...est.whyLines,
    ...(moved && moved.service !== PROCESSING
      ? [
          `With two replicas the bottleneck is ${moved.service} (utilisation ${util(moved.period.utilisation)} in its busiest stretch): it moved, which is why end to end gains less than the wait in \`${TOPICS.orders}\`.`,
        ]
      : []),
    '',
    `Comparison headline: ${cmp.headline.text}`,
  ];
}

/** The figures of the answer, for --json. */
function figuresOf(m: Measured) {
  const { b, n, cmp, hop, cores, est } = m;
  return {
    baseReplicas: b.c.instances,
    scaledReplicas: n.c.instances,
    baseServiceMeanUs: b.c.serviceTime.meanUs,
    scaledServiceMeanUs: n.c.serviceTime.meanUs,
    baseLimitPerSec: round1(b.limitPerSec),
    scaledLimitPerSec: round1(n.limitPerSec),
    baseMeanWaitUs: hop?.baseMeanUs ?? null,
    scaledMeanWaitUs: hop?.nextMeanUs ?? null,
    waitDeltaPct: hop?.deltaPct ?? null,
    estimatedWaitDeltaPct: est.estimatedPct,
    estimatedScaledMeanWaitUs: Math.round(est.modelNextUs),
    modelWithScaledServiceMeanWaitUs: Math.round(est.modelMeasuredUs),
    estimateMissed: est.missed,
    cores,
    baseUtilisation: round1(b.c.utilisation),
    scaledUtilisation: round1(n.c.utilisation),
    baseEndToEndP50Us: cmp.endToEnd.baseP50Us,
    scaledEndToEndP50Us: cmp.endToEnd.nextP50Us,
    endToEndDeltaPct: cmp.endToEnd.deltaPct,
    scaledBottleneck: m.next.report.bottleneck?.service ?? null,
  };
}

export const scaling: Exercise = {
  number: 6,
  title: 'System scaling design',
  asked: [
    'Identify the current throughput limitation',
    'Design solutions for: horizontal scaling (multiple containers), async processing (non-blocking operations), load balancing strategies',
    'Estimate the performance improvement',
  ],
  does: `starts two labs of its own on free ports, processing forced heavy, with 1 and then 2 processing replicas; sends each ${ORDERS} orders at once and compares`,
  async run(ctx) {
    const base = await runVariant(ctx, 1, 'baseline (processing ×1)');
    const next = await runVariant(ctx, 2, 'scaled (processing ×2)');
    const measured = measure(base, next);
    return {
      exercise: 6,
      title: scaling.title,
      asked: scaling.asked,
      answer: answerOf(measured),
      figures: figuresOf(measured),
      traces: { baseline: base.traces, scaled: next.traces },
    };
  },
};
