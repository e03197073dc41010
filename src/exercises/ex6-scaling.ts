import { availableParallelism } from 'node:os';
import {
  analyzeTraces,
  compareReports,
  formatDuration,
  formatPercent,
  ordinal,
} from '../analysis/index.js';
import type { AnalysisReport } from '../analysis/index.js';
import { SERVICES, TOPICS } from '../model/index.js';
import type { JaegerTrace } from '../model/jaeger-trace.js';
import { ExerciseError } from './errors.js';
import { readTraces, sendOrders } from './lab.js';
import type { Lab } from './lab.js';
import { round1 } from './figures.js';
import type { Exercise, ExerciseContext } from './types.js';

const ORDERS = 8;
const PROCESSING = SERVICES.processing.serviceName;
/** A measured change further than this from the estimate (percentage points) is a miss. */
const MISS_POINTS = 10;

/**
 * The queueing model's mean wait for a burst of `messages` arriving at once at `replicas` that
 * each take `serviceUs` an order: the i-th order (from 0) waits ⌊i / replicas⌋ service times.
 */
export function burstMeanWaitUs(messages: number, replicas: number, serviceUs: number): number {
  if (messages <= 0 || replicas <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < messages; i++) sum += Math.floor(i / replicas);
  return (sum / messages) * serviceUs;
}

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
    const b = processingOf(base.report);
    const n = processingOf(next.report);
    const cmp = compareReports(base.report, next.report);
    const hop = cmp.hops.find((h) => h.topic === TOPICS.orders && h.toService === PROCESSING);
    const perSec = (x: number | null) => (x === null ? '?' : `${round1(x)} orders/s`);
    const nextBusiest = [...next.report.consumers].sort(
      (x, y) => (y.utilisation ?? 0) - (x.utilisation ?? 0),
    )[0];
    const messages = b.c.messages;
    const cores = availableParallelism();
    // The estimate keeps the baseline's service time: the model's wait with twice the replicas.
    const modelBase = burstMeanWaitUs(messages, b.c.instances, b.c.serviceTime.meanUs);
    const modelNext = burstMeanWaitUs(messages, n.c.instances, b.c.serviceTime.meanUs);
    const expectedPct = modelBase > 0 ? Math.round((modelNext / modelBase - 1) * 1000) / 10 : null;
    const measuredPct = hop?.deltaPct ?? null;
    const missed =
      expectedPct !== null && measuredPct !== null
        ? Math.abs(measuredPct - expectedPct) >= MISS_POINTS
        : false;
    // The same model with the service time each replica really had after scaling.
    const modelMeasured = burstMeanWaitUs(messages, n.c.instances, n.c.serviceTime.meanUs);
    const slowdown =
      b.c.serviceTime.meanUs > 0 ? n.c.serviceTime.meanUs / b.c.serviceTime.meanUs : null;
    const util = (u: number | null) => (u === null ? 'n/a' : `${round1(u)}×`);
    const rank = (p: { rank: number } | null) => (p ? `${ordinal(p.rank)} order` : 'last order');
    const why = !missed
      ? [
          `The measurement is within ${MISS_POINTS} points of the estimate: each replica kept about the baseline's service time.`,
        ]
      : [
          `Why the estimate missed: it assumes each replica still takes ${formatDuration(b.c.serviceTime.meanUs)} an order. ` +
            `Measured, each of the ${n.c.instances} replicas took ${formatDuration(n.c.serviceTime.meanUs)} (${slowdown === null ? 'n/a' : `×${round1(slowdown)}`} the baseline's ${formatDuration(b.c.serviceTime.meanUs)})` +
            (slowdown !== null && slowdown >= 1.2
              ? `: the replicas' CPU work shares the machine's ${cores} cores with each other and the other services, so two at once run each other slower and capacity rose ${perSec(b.limitPerSec)} → ${perSec(n.limitPerSec)}, not ×${n.c.instances}.`
              : `: the service time hardly changed, so the difference is in how the burst reached the replicas (which replica took which order, and when).`),
          `  With that service time the model gives a mean wait of ${formatDuration(modelMeasured)}; measured ${formatDuration(hop?.nextMeanUs ?? 0)}.`,
        ];
    const answer = [
      `Limitation: ${PROCESSING} handles one order at a time and takes ${formatDuration(b.c.serviceTime.meanUs)} per order (mean service time), so it finishes at most ${perSec(b.limitPerSec)}; ` +
        `a burst of ${messages} queues in \`${TOPICS.orders}\` (the ${rank(b.hop.growth.last)} waited ${formatDuration(b.hop.growth.last?.waitUs ?? 0)}; utilisation ${util(b.c.utilisation)}).`,
      '',
      'Designs, and the knob each has in this lab:',
      `  horizontal scaling: more replicas in the consumer group (\`tracelab up --scale processing=2\`; \`docker compose up --scale processing-service=2\`), each takes its share of the queue;`,
      '  load balancing: the consumer group is the balancer: Redis Streams hands each message to one idle consumer, Kafka splits the partitions among replicas (six per topic in the Docker stack);',
      "  async processing: let one replica take several orders at once (`--concurrency 2`): CPU work already runs on worker threads, so a second order overlaps the first one's I/O and waiting.",
      '',
      `Estimate: ${messages} orders at once, the i-th waits ⌊i / replicas⌋ service times; at the baseline's ${formatDuration(b.c.serviceTime.meanUs)} an order the mean wait goes ${formatDuration(modelBase)} → ${formatDuration(modelNext)} (${formatPercent(expectedPct)}).`,
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
          `${formatDuration(hop?.baseMeanUs ?? 0)} → ${formatDuration(hop?.nextMeanUs ?? 0)} (${formatPercent(measuredPct)}; estimate ${formatPercent(expectedPct)})`,
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
      ...why,
      ...(nextBusiest && nextBusiest.service !== PROCESSING
        ? [
            `With two replicas the busiest consumer is ${nextBusiest.service} (utilisation ${util(nextBusiest.utilisation)}): the bottleneck moved, which is why end to end gains less than the wait in \`${TOPICS.orders}\`.`,
          ]
        : []),
      '',
      `Comparison headline: ${cmp.headline.text}`,
    ];
    return {
      exercise: 6,
      title: scaling.title,
      asked: scaling.asked,
      answer,
      figures: {
        baseReplicas: b.c.instances,
        scaledReplicas: n.c.instances,
        baseServiceMeanUs: b.c.serviceTime.meanUs,
        scaledServiceMeanUs: n.c.serviceTime.meanUs,
        baseLimitPerSec: round1(b.limitPerSec),
        scaledLimitPerSec: round1(n.limitPerSec),
        baseMeanWaitUs: hop?.baseMeanUs ?? null,
        scaledMeanWaitUs: hop?.nextMeanUs ?? null,
        waitDeltaPct: measuredPct,
        estimatedWaitDeltaPct: expectedPct,
        estimatedScaledMeanWaitUs: Math.round(modelNext),
        modelWithScaledServiceMeanWaitUs: Math.round(modelMeasured),
        estimateMissed: missed,
        cores,
        baseUtilisation: round1(b.c.utilisation),
        scaledUtilisation: round1(n.c.utilisation),
        baseEndToEndP50Us: cmp.endToEnd.baseP50Us,
        scaledEndToEndP50Us: cmp.endToEnd.nextP50Us,
        endToEndDeltaPct: cmp.endToEnd.deltaPct,
        scaledBusiest: nextBusiest?.service ?? null,
      },
      traces: { baseline: base.traces, scaled: next.traces },
    };
  },
};
