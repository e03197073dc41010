/**
 * How finely a thread's CPU time can be read, which sets the shortest span whose CPU the
 * monitor measures (src/monitor/aggregate.ts, MIN_MEASURED_MS): the step of
 * /proc/thread-self/schedstat read alone and after process.cpuUsage(), the cost of a reading,
 * and the error of busy spans of a few lengths. A busy loop is runnable the whole time, so its
 * time on a CPU plus its time waiting for one (schedstat's second field) is its wall time;
 * what differs is the reading's error, whatever other users of the machine take. A reading of
 * more CPU than wall time is impossible: the monitor holds each thread to the wall time.
 * Run: npm run bench:thread-cpu
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { threadCpuNs } from '../src/monitor/thread-cpu.js';

const FILE = '/proc/thread-self/schedstat';

function sched(): { cpuNs: number; waitNs: number } {
  const [cpu, wait] = readFileSync(FILE, 'latin1').split(' ');
  return { cpuNs: Number(cpu), waitNs: Number(wait) };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN;
};

/** Steps between distinct readings over `ms` of busy reading. */
function steps(read: () => number, ms: number): { readings: number; stepUs: number[] } {
  const stepUs: number[] = [];
  let last = read();
  let readings = 1;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const v = read();
    readings++;
    if (v !== last) stepUs.push((v - last) / 1000);
    last = v;
  }
  return { readings, stepUs };
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

if (threadCpuNs() === undefined) {
  console.log('no /proc/thread-self/schedstat here: the monitor falls back to process CPU time');
  process.exit(0);
}

const raw = steps(() => sched().cpuNs, 1000);
const fresh = steps(() => threadCpuNs()!, 1000);
console.log(
  `schedstat read alone: ${raw.stepUs.length} changes in ${raw.readings} readings over 1 s, ` +
    `step p50 ${quantile(raw.stepUs, 0.5).toFixed(0)} µs, p90 ${quantile(raw.stepUs, 0.9).toFixed(0)} µs`,
);
console.log(
  `after process.cpuUsage(): ${fresh.stepUs.length} changes in ${fresh.readings} readings over 1 s, ` +
    `step (= cost of one reading) p50 ${quantile(fresh.stepUs, 0.5).toFixed(1)} µs, p90 ${quantile(fresh.stepUs, 0.9).toFixed(1)} µs`,
);

console.log(
  `\nbusy spans (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores); ` +
    'error: points of %, |cpu + wait − wall| / wall; over: readings of more CPU than wall time',
);
console.log('busy span   runs   error p50   error p95   over');
for (const ms of [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]) {
  const errors: number[] = [];
  let over = 0;
  for (let run = 0; run < 200; run++) {
    const w0 = sched().waitNs;
    const c0 = threadCpuNs()!;
    const t0 = performance.now();
    busy(ms);
    // As the monitor reads: each CPU reading followed at once by the wall time.
    const c1 = threadCpuNs()!;
    const wallNs = (performance.now() - t0) * 1e6;
    const w1 = sched().waitNs;
    errors.push((Math.abs(c1 - c0 + (w1 - w0) - wallNs) / wallNs) * 100);
    if (c1 - c0 > wallNs * 1.02) over++;
  }
  console.log(
    `${`${ms} ms`.padEnd(11)} ${String(errors.length).padStart(4)}   ` +
      [0.5, 0.95].map((q) => quantile(errors, q).toFixed(1).padStart(9)).join('   ') +
      `   ${((over / errors.length) * 100).toFixed(1).padStart(4)} %`,
  );
}
