import { analyzeTraces, formatDuration } from '../analysis/index.js';
import type { ResourceStats } from '../analysis/index.js';
import { ExerciseError } from './errors.js';
import { readTraces, sendOrders } from './lab.js';
import { cpuText, round1, times } from './figures.js';
import type { Exercise } from './types.js';
import { OPERATIONS, WORKLOAD_TYPES } from '../workload/index.js';

const describe = (r: ResourceStats) =>
  `${r.key.padEnd(6)} ${String(r.count).padStart(3)} workload spans: duration p50 ${formatDuration(r.duration.p50Us)} (max ${formatDuration(r.duration.maxUs)}), ${cpuText(r)}, memory avg ${r.memoryAvgMb ?? '?'} MB`;

export const performanceComparison: Exercise = {
  number: 2,
  title: 'Performance comparison',
  asked: [
    'Send requests and identify light vs heavy workloads',
    'Compare CPU and memory usage between them',
    'Calculate the performance difference (duration, resource usage)',
  ],
  does: 'sends 3 orders forced light, then 3 forced heavy, and compares their workload spans',
  async run({ lab }) {
    const light = await sendOrders(
      lab,
      { mode: 'interval', count: 3, intervalMs: 500 },
      { item: 'exercise-2', quantity: 1, intensity: 'light' },
      '3 light orders',
    );
    const heavy = await sendOrders(
      lab,
      { mode: 'interval', count: 3, intervalMs: 500 },
      { item: 'exercise-2', quantity: 1, intensity: 'heavy' },
      '3 heavy orders',
    );
    const traces = await readTraces(lab, [...light, ...heavy]);
    const report = analyzeTraces(traces);
    const lo = report.resources.byIntensity.find((r) => r.key === 'light');
    const hi = report.resources.byIntensity.find((r) => r.key === 'heavy');
    if (!lo || !hi) {
      throw new ExerciseError(
        'EX_ERR_NO_DATA',
        'no light or no heavy workload spans in the traces',
      );
    }
    const durationRatio = hi.duration.p50Us / lo.duration.p50Us;
    const cpuRatio =
      lo.cpuAvg !== null && hi.cpuAvg !== null && lo.cpuAvg > 0 ? hi.cpuAvg / lo.cpuAvg : null;
    const memDelta =
      lo.memoryAvgMb !== null && hi.memoryAvgMb !== null ? hi.memoryAvgMb - lo.memoryAvgMb : null;
    // Within one type of work the comparison is like for like: the same kind of operation,
    // light against heavy.
    const byType = WORKLOAD_TYPES.flatMap((type) => {
      const l = report.resources.byOperation.find((r) => r.key === OPERATIONS[type].light);
      const h = report.resources.byOperation.find((r) => r.key === OPERATIONS[type].heavy);
      // A type no service drew at either end (database or network work outside inventory's
      // light and medium) has nothing to compare: no line.
      if (!l && !h) return [];
      const side = (r: ResourceStats | undefined, name: string) =>
        r
          ? `${name} p50 ${formatDuration(r.duration.p50Us)}, ${r.cpuAvg === null ? 'CPU not measured' : `CPU avg ${r.cpuAvg} %`}`
          : `${name}: none ran`;
      return [
        `  ${type.padEnd(9)}  light ${side(l, OPERATIONS[type].light)}  |  heavy ${side(h, OPERATIONS[type].heavy)}`,
      ];
    });
    const answer = [
      describe(lo),
      describe(hi),
      'By type of work:',
      ...byType,
      '',
      `Heavy work takes ${times(durationRatio)} as long as light (p50 ${formatDuration(hi.duration.p50Us)} against ${formatDuration(lo.duration.p50Us)})` +
        (cpuRatio === null
          ? ''
          : ` at ${times(cpuRatio)} the CPU (${hi.cpuAvg} % against ${lo.cpuAvg} %)`) +
        `${memDelta === null ? '' : ` with ${memDelta >= 0 ? '+' : '−'}${Math.abs(round1(memDelta)!)} MB of memory on average`}` +
        (cpuRatio === null ? `; their CPU cannot be compared: ${uncompared(lo, hi)}.` : '.'),
      'CPU-heavy work burns more CPU the heavier it is; I/O-heavy work mostly waits on files and Redis, so its CPU % stays low however long it takes.',
      `Whole orders: end to end p50 ${formatDuration(median(heavy.map((o) => o.endToEndMs * 1000)))} heavy against ${formatDuration(median(light.map((o) => o.endToEndMs * 1000)))} light.`,
    ];
    return {
      exercise: 2,
      title: performanceComparison.title,
      asked: performanceComparison.asked,
      answer,
      figures: {
        lightSpans: lo.count,
        lightP50Us: lo.duration.p50Us,
        lightCpuAvg: lo.cpuAvg,
        lightMemoryAvgMb: lo.memoryAvgMb,
        heavySpans: hi.count,
        heavyP50Us: hi.duration.p50Us,
        heavyCpuAvg: hi.cpuAvg,
        heavyMemoryAvgMb: hi.memoryAvgMb,
        durationRatio: round1(durationRatio),
        cpuRatio: round1(cpuRatio),
      },
      traces: { light: traces.slice(0, light.length), heavy: traces.slice(light.length) },
    };
  },
};

/** Why two CPU figures cannot be compared: which spans were too short, or light read 0 %. */
function uncompared(lo: ResourceStats, hi: ResourceStats): string {
  const short = [lo, hi].filter((r) => r.cpuAvg === null).map((r) => r.key);
  return short.length > 0
    ? `the ${short.join(' and ')} spans were too short to measure`
    : `${lo.key} work read 0 %`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1] ?? 0;
}
