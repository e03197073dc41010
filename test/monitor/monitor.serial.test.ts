import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createResourceMonitor,
  MIN_THREAD_MEASURED_MS,
  resourceAttributes,
} from '../../src/monitor/index.js';
import { runCpuOperation } from '../../src/workload/operations/cpu.js';
import { createCpuPool } from '../../src/workload/pool.js';
import { busyLoop, measureCpu, threadCpuMs } from '../helpers/workload-env.js';

/** ns this thread has waited for a core (schedstat's second field). */
const waitNs = (): number =>
  Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);

test('a busy main thread reads one core, with one sample per interval, while the loop blocks', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 100 });
  t.after(() => monitor.close());
  await monitor.ready;

  const mark = monitor.begin();
  const wall0 = performance.now();
  const thread0 = threadCpuMs();
  busyLoop(600); // blocks this event loop: no timer here could sample
  const threadPercent = ((threadCpuMs() - thread0) / (performance.now() - wall0)) * 100;
  const wallMs = performance.now() - wall0;
  const f = monitor.measure(mark);
  const rssMb = process.memoryUsage.rss() / 1024 / 1024;
  t.diagnostic(`thread ${threadPercent.toFixed(1)} %, monitor ${JSON.stringify(f)}`);

  // The loop's own thread is the truth (other users may slow it down); /proc's stat counts in
  // 10 ms ticks, so within 15 % (5 points when a crowded machine gives the loop a sliver).
  assert.ok(threadPercent > 10, `the loop got ${threadPercent} % of a core`);
  const cpu = f.cpu!;
  assert.equal(cpu.source, 'thread');
  assert.equal(cpu.threads, 1);
  const tolerance = Math.max(0.15 * threadPercent, 5);
  assert.ok(Math.abs(cpu.avg - threadPercent) <= tolerance, `avg ${cpu.avg} vs ${threadPercent}`);
  assert.ok(cpu.max >= cpu.avg && cpu.avg >= cpu.min && cpu.min >= 0);
  assert.ok(cpu.max <= availableParallelism() * 100, `max ${cpu.max}`);
  assert.ok(Math.abs(f.samples - wallMs / 100) <= 2, `${f.samples} samples in ${wallMs} ms`);
  assert.ok(Math.abs(f.memoryMaxMb / rssMb - 1) < 0.05, `max ${f.memoryMaxMb} MB vs RSS ${rssMb}`);
  assert.ok(f.memoryMinMb <= f.memoryAvgMb && f.memoryAvgMb <= f.memoryMaxMb);
});

test('an idle span reads little CPU', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 50 });
  t.after(() => monitor.close());
  await monitor.ready;
  const mark = monitor.begin();
  await sleep(400);
  const f = monitor.measure(mark);
  assert.ok(f.samples >= 6, `${f.samples} samples`);
  assert.ok(f.cpu!.avg < 30, `idle avg ${f.cpu!.avg}`);
  assert.equal(f.cpu!.bound, false);
});

test('a busy span shorter than an interval reads its own thread: never more than the thread could get', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 1000 });
  t.after(() => monitor.close());
  // The first reading is taken; the next one is an interval away, after these spans end.
  await monitor.ready;
  for (const ms of [80, 5, 1]) {
    const wait0 = waitNs();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const mark = monitor.begin();
    busyLoop(ms);
    const f = monitor.measure(mark);
    const process1 = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const processPercent = (process1.user + process1.system) / wallMs / 10;
    const waitPercent = ((waitNs() - wait0) / 1e6 / wallMs) * 100;
    t.diagnostic(
      `${ms} ms: process ${processPercent.toFixed(1)} %, waited for a core ${waitPercent.toFixed(1)} %, ` +
        `monitor ${JSON.stringify(f.cpu)}`,
    );
    const cpu = f.cpu!;
    assert.equal(f.samples, 0);
    assert.deepEqual([cpu.max, cpu.min], [cpu.avg, cpu.avg]);
    assert.ok(cpu.avg <= 100, `${ms} ms: ${cpu.avg} % on one thread`);
    // The process counts this thread and its others (sampler, V8's): never less.
    assert.ok(cpu.avg <= processPercent + 5, `${ms} ms: ${cpu.avg} vs ${processPercent}`);
  }
});

test('a span shorter than the measurable minimum has no CPU figure, and says so', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 100 });
  t.after(() => monitor.close());
  await monitor.ready;
  // The span must really be short: on a busy machine this thread can be descheduled inside
  // it, so take the first of a few tries whose whole wall time (begin to measure, from
  // outside) stayed under the minimum.
  let f: ReturnType<typeof monitor.measure> | undefined;
  for (let attempt = 0; attempt < 50 && f === undefined; attempt++) {
    const wall0 = performance.now();
    const mark = monitor.begin();
    busyLoop(MIN_THREAD_MEASURED_MS / 4);
    const figures = monitor.measure(mark);
    if (performance.now() - wall0 < MIN_THREAD_MEASURED_MS) f = figures;
  }
  assert.ok(f, `no span of 50 stayed under ${MIN_THREAD_MEASURED_MS} ms: the machine is too busy`);
  assert.equal(f.cpu, undefined);
  const a = resourceAttributes(f);
  assert.equal(a['resource.cpu.measured'], false);
  for (const key of [
    'resource.cpu.avg',
    'resource.cpu.max',
    'resource.cpu.min',
    'resource.cpu_bound',
  ]) {
    assert.equal(a[key], undefined, key);
  }
  assert.ok((a['resource.memory.max_mb'] as number) > 10);
});

/** A monitor and a two-thread CPU pool, both closed after the test. */
async function monitorAndPool(t: TestContext) {
  const monitor = createResourceMonitor({ intervalMs: 100 });
  const pool = createCpuPool(2);
  t.after(async () => {
    await pool.close();
    await monitor.close();
  });
  await monitor.ready;
  return { monitor, pool };
}

test(
  'short main-thread spans never read more than one core while the CPU pool keeps the process busy',
  { skip: availableParallelism() < 2 && `this machine has ${availableParallelism()} core` },
  async (t) => {
    const { monitor, pool } = await monitorAndPool(t);
    const background = runCpuOperation('intensive_prime_computation', 60_000, () => pool);
    let done = false;
    void background.finally(() => (done = true));
    const spans: number[] = [];
    let processOver = 0;
    // Light spans of 1–3 ms on this thread while the pool works: what json_processing does
    // in a service whose pool runs another order's heavy work.
    while (!done && spans.length < 200) {
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const mark = monitor.begin();
      busyLoop(1 + (spans.length % 3));
      const f = monitor.measure(mark);
      const cpu = process.cpuUsage(cpu0);
      if ((cpu.user + cpu.system) / (performance.now() - wall0) / 10 > 100) processOver++;
      spans.push(f.cpu!.avg);
      await new Promise((resolve) => setImmediate(resolve)); // lets the pool's replies in
    }
    await background;
    t.diagnostic(
      `${spans.length} spans, highest ${Math.max(...spans)} %; the process read over one core in ${processOver} of them`,
    );
    assert.ok(spans.length >= 5, `${spans.length} spans`);
    assert.ok(Math.max(...spans) <= 100, `highest ${Math.max(...spans)} %`);
  },
);

test(
  'work on the CPU pool reads clearly over one core, from the pool threads’ own CPU time',
  { skip: availableParallelism() < 2 && `this machine has ${availableParallelism()} core` },
  async (t) => {
    const { monitor, pool } = await monitorAndPool(t);
    await runCpuOperation('intensive_prime_computation', 2000, () => pool); // workers started
    // Other users share these cores: a reading over one core needs a window where both are
    // free. Every attempt checks the reading against what the pool threads really got.
    let mostCores = 0;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const mark = monitor.begin();
      const m = await measureCpu(() =>
        runCpuOperation('intensive_prime_computation', 40_000, () => pool, mark),
      );
      const f = monitor.measure(mark);
      const cpu = f.cpu!;
      t.diagnostic(
        `attempt ${attempt}: process ${m.processPercent.toFixed(1)} %, pool threads wanted ` +
          `${m.coresWanted.toFixed(2)} cores, got ${m.coresGot.toFixed(2)}; monitor ${JSON.stringify(f)}`,
      );
      assert.equal(cpu.source, 'thread');
      assert.equal(cpu.threads, 3); // the span's own thread and both pool threads
      assert.ok(cpu.max <= 200 && cpu.avg <= 200, `avg ${cpu.avg}, max ${cpu.max}`);
      // The main thread only waits: the pool threads' time is nearly all of it.
      assert.ok(Math.abs(cpu.avg - m.coresGot * 100) < 15, `avg ${cpu.avg} vs ${m.coresGot}`);
      assert.ok(m.coresWanted > 1.7, `the pool threads wanted ${m.coresWanted} cores`);
      if (m.coresGot > 1.4) {
        assert.ok(cpu.avg > 130, `avg ${cpu.avg}`);
        assert.ok(cpu.max > 130, `max ${cpu.max}`);
        return;
      }
      mostCores = Math.max(mostCores, m.coresGot);
    }
    // Not a pass: said as a skip, with why.
    t.skip(
      `the machine never gave the pool two free cores in 5 tries (at most ` +
        `${mostCores.toFixed(2)}; load average ${loadavg()[0]!.toFixed(1)}): ` +
        'a reading over one core was not checked',
    );
  },
);

test('thresholds set the flags both ways on the same span', async (t) => {
  // A busy loop uses well over 1 % of a core even on a crowded machine, and never 1000 %.
  const low = createResourceMonitor({ cpuThresholdPercent: 1, memoryThresholdMb: 1 });
  const high = createResourceMonitor({ cpuThresholdPercent: 1000, memoryThresholdMb: 1_000_000 });
  t.after(() => Promise.all([low.close(), high.close()]));
  await Promise.all([low.ready, high.ready]);
  const a = low.begin();
  const b = high.begin();
  busyLoop(300);
  const fl = low.measure(a);
  const fh = high.measure(b);
  assert.equal(fl.cpu?.bound, true);
  assert.equal(fl.memoryThresholdExceeded, true);
  assert.equal(fh.cpu?.bound, false);
  assert.equal(fh.memoryThresholdExceeded, false);
});
