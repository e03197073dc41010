import { formatDuration, queueWaits } from '../analysis/index.js';
import { PIPELINE_ORDER, SERVICES, TOPICS } from '../model/index.js';
import type { JaegerTrace } from '../model/index.js';
import { ExerciseError } from './errors.js';
import { complete, readTraces, send } from './lab.js';
import { mean, numbers, round1, spansNamed, workloadSpans } from './figures.js';
import type { Exercise } from './types.js';

const FOLLOWERS = 4;

function stageUs(trace: JaegerTrace, stageSpan: string): number {
  return spansNamed(trace, stageSpan)[0]?.duration ?? 0;
}

function waitInOrdersUs(trace: JaegerTrace): number {
  return queueWaits(trace).find((w) => w.topic === TOPICS.orders)?.waitUs ?? 0;
}

export const severeWorkload: Exercise = {
  number: 5,
  title: 'Severe workload analysis',
  asked: [
    'Wait for a severe workload to trigger (processing/analytics services)',
    'Observe the extreme resource usage (200%+ CPU, high memory)',
    'Note how long other requests are delayed',
    'Understand the impact on system throughput',
  ],
  does: `forces one severe order (?intensity=severe) instead of waiting for one, sends ${FOLLOWERS} medium orders right behind it, and measures the severe order's cost and their delay`,
  async run({ lab }) {
    const severe = await send(
      lab,
      { mode: 'burst', count: 1 },
      { item: 'exercise-5', quantity: 1, intensity: 'severe' },
      '1 severe order',
    );
    const followers = await send(
      lab,
      { mode: 'burst', count: FOLLOWERS },
      { item: 'exercise-5', quantity: 1, intensity: 'medium' },
      `${FOLLOWERS} medium orders right behind it`,
    );
    const done = await complete(lab, [...severe, ...followers], 'severe and medium orders');
    const [severeTrace, ...followerTraces] = await readTraces(lab, done);
    if (!severeTrace) throw new ExerciseError('EX_ERR_NO_DATA', 'the severe order has no trace');

    const work = workloadSpans(severeTrace);
    // Spans too short to measure carry no CPU figure (resource.cpu.measured false).
    const cpuMaxes = numbers(work, 'resource.cpu.max');
    const cpuMax = cpuMaxes.length > 0 ? Math.max(...cpuMaxes) : null;
    const memoryMaxMb = Math.max(...numbers(work, 'resource.memory.max_mb'));
    const processingUs = stageUs(severeTrace, SERVICES.processing.stageSpan);
    const waits = followerTraces.map(waitInOrdersUs);
    const mediumUs = followerTraces
      .map((t) => stageUs(t, SERVICES.processing.stageSpan))
      .sort((a, b) => a - b);
    const mediumP50Us = mediumUs[Math.ceil(mediumUs.length / 2) - 1] ?? 0;
    const lostOrders = mediumP50Us > 0 ? processingUs / mediumP50Us : null;
    const stages = PIPELINE_ORDER.map(
      (k) =>
        `${SERVICES[k].serviceName} ${formatDuration(stageUs(severeTrace, SERVICES[k].stageSpan))}`,
    ).join(', ');

    const answer = [
      `The severe order (trace ${severeTrace.traceID}) ran at up to ${cpuMax === null ? '? % CPU (no span long enough to measure)' : `${cpuMax} % CPU`} and ${memoryMaxMb} MB; its stages took ${stages}.`,
      `The ${FOLLOWERS} medium orders sent right behind it waited ${formatDuration(mean(waits))} on average in \`${TOPICS.orders}\` (the longest ${formatDuration(Math.max(...waits))}), ` +
        `while a medium order needs ${formatDuration(mediumP50Us)} of processing (p50).`,
      `Throughput: processing-service takes one order at a time, so for the ${formatDuration(processingUs)} of severe work it completed nothing else` +
        `${lostOrders === null ? '' : `: the time of about ${Math.round(lostOrders).toLocaleString('en')} medium orders`}. ` +
        `Every order behind a severe one is delayed by its whole duration, whatever its own size.`,
    ];
    return {
      exercise: 5,
      title: severeWorkload.title,
      asked: severeWorkload.asked,
      answer,
      figures: {
        severeTraceId: severeTrace.traceID,
        severeCpuMax: cpuMax,
        severeMemoryMaxMb: memoryMaxMb,
        severeProcessingUs: processingUs,
        followers: followerTraces.length,
        followersMeanWaitUs: mean(waits),
        followersMaxWaitUs: Math.max(...waits),
        mediumProcessingP50Us: mediumP50Us,
        lostMediumOrders: round1(lostOrders),
      },
      traces: { severe: [severeTrace], followers: followerTraces },
    };
  },
};
