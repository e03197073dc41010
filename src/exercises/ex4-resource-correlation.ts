import { analyzeTraces, formatDuration } from '../analysis/index.js';
import type { ResourceStats } from '../analysis/index.js';
import type { JaegerTrace } from '../model/index.js';
import type { Intensity } from '../workload/index.js';
import { ExerciseError } from './errors.js';
import { readTraces, sendOrders } from './lab.js';
import type { Lab } from './lab.js';
import { cpuText, round1, spansNamed } from './figures.js';
import type { Exercise } from './types.js';

const HEAVY_CPU = 'intensive_prime_computation';
const LIGHT_CPU = 'json_processing';

/**
 * Each step picks CPU or I/O work by its service's mix, so an operation is likely but not
 * certain in a few orders: send batches of 3 until a trace has it (5 batches at most).
 */
async function tracesWith(
  lab: Lab,
  operation: string,
  intensity: Intensity,
): Promise<JaegerTrace[]> {
  const all: JaegerTrace[] = [];
  for (let round = 1; round <= 5; round++) {
    const orders = await sendOrders(
      lab,
      { mode: 'interval', count: 3, intervalMs: 200 },
      { item: 'exercise-4', quantity: 1, intensity },
      `3 ${intensity} orders (looking for ${operation})`,
    );
    all.push(...(await readTraces(lab, orders)));
    if (all.some((t) => spansNamed(t, operation).length > 0)) return all;
  }
  throw new ExerciseError('EX_ERR_NO_DATA', `no ${operation} span in 15 ${intensity} orders`);
}

const describe = (r: ResourceStats) =>
  `${r.key.padEnd(28)} ${String(r.count).padStart(3)} spans: ${cpuText(r)}; memory avg ${r.memoryAvgMb ?? '?'} MB; duration p50 ${formatDuration(r.duration.p50Us)}; CPU-bound ${r.cpuBoundShare === null ? '?' : Math.round(r.cpuBoundShare * 100)} %`;

export const resourceCorrelation: Exercise = {
  number: 4,
  title: 'Resource correlation',
  asked: [
    'Find a trace with `intensive_prime_computation`',
    'Note the CPU usage (likely >150%)',
    'Compare with `json_processing` operation',
    'Understand why certain operations use multiple CPU cores',
  ],
  does: `sends heavy orders until one runs ${HEAVY_CPU} and light ones until one runs ${LIGHT_CPU}, then compares their CPU and memory`,
  async run({ lab }) {
    const heavy = await tracesWith(lab, HEAVY_CPU, 'heavy');
    const light = await tracesWith(lab, LIGHT_CPU, 'light');
    const report = analyzeTraces([...heavy, ...light]);
    const prime = report.resources.byOperation.find((r) => r.key === HEAVY_CPU)!;
    const json = report.resources.byOperation.find((r) => r.key === LIGHT_CPU)!;
    const example = heavy.find((t) => spansNamed(t, HEAVY_CPU).length > 0)!;
    const cores = (prime.cpuMax ?? 0) / 100;
    const answer = [
      `A trace with ${HEAVY_CPU}: ${example.traceID}`,
      describe(prime),
      describe(json),
      '',
      `${HEAVY_CPU} ran at ${prime.cpuAvg ?? '?'} % CPU on average, up to ${prime.cpuMax ?? '?'} %, ` +
        (json.cpuAvg === null
          ? `while ${LIGHT_CPU}'s spans were all too short to measure their CPU`
          : `against ${json.cpuAvg} % for ${LIGHT_CPU}${prime.cpuAvg !== null && json.cpuAvg > 0 ? ` (${round1(prime.cpuAvg / json.cpuAvg)}×)` : ''}`) +
        `; it took ${formatDuration(prime.duration.p50Us)} against ${formatDuration(json.duration.p50Us)} (p50).`,
      cores > 1
        ? `Why more than one core (${cores.toFixed(2)} at the peak): heavy CPU work is split into chunks that run on a pool of worker threads, one per core, so one span keeps several cores busy; ${LIGHT_CPU} is small and runs on the service's main thread.`
        : `Here it stayed within one core (${cores.toFixed(2)} at the peak): heavy CPU work is split over a pool of worker threads, one per core, but a scaled-down lab (--workload-scale below 1) or a busy machine leaves too little work to fill them; at scale 1 it reads 170–200 % on two cores.`,
      `CPU % is per core: 100 % is one core fully busy. A span's figure is the CPU time its own threads used (the service's main thread, and the pool's threads for heavy work) over its duration, so it never exceeds the cores; spans under half a millisecond are too short to measure and carry none. The peak comes from the process's samples, every 100 ms, while a long span ran.`,
    ];
    return {
      exercise: 4,
      title: resourceCorrelation.title,
      asked: resourceCorrelation.asked,
      answer,
      figures: {
        exampleTraceId: example.traceID,
        primeSpans: prime.count,
        primeCpuAvg: prime.cpuAvg,
        primeCpuMax: prime.cpuMax,
        primeMemoryAvgMb: prime.memoryAvgMb,
        primeP50Us: prime.duration.p50Us,
        jsonSpans: json.count,
        jsonCpuAvg: json.cpuAvg,
        jsonCpuMax: json.cpuMax,
        jsonP50Us: json.duration.p50Us,
      },
      traces: { heavy, light },
    };
  },
};
