import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createResourceMonitor } from '../src/monitor/index.js';
import { runCpuOperation } from '../src/workload/operations/cpu.js';
import { createCpuPool } from '../src/workload/pool.js';
import { busyLoop, measureCpu, threadCpuMs } from './helpers/workload-env.js';

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

  // The loop's own thread is the truth (other users may slow it down). The monitor also
  // counts the sampler and V8's threads: it must read the loop within 15 % (5 points when
  // a crowded machine gives the loop only a sliver of a core).
  assert.ok(threadPercent > 10, `the loop got ${threadPercent} % of a core`);
  const tolerance = Math.max(0.15 * threadPercent, 5);
  assert.ok(Math.abs(f.cpuAvg - threadPercent) <= tolerance, `avg ${f.cpuAvg} vs ${threadPercent}`);
  assert.ok(Math.abs(f.cpuExact - threadPercent) <= tolerance, `exact ${f.cpuExact}`);
  assert.ok(f.cpuMax >= f.cpuAvg && f.cpuAvg >= f.cpuMin && f.cpuMin >= 0);
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
  assert.ok(f.cpuAvg < 30, `idle avg ${f.cpuAvg}`);
  assert.equal(f.cpuBound, false);
});

test('a span shorter than an interval still gets true figures from exact CPU time', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 1000 });
  t.after(() => monitor.close());
  // The first reading is taken; the next one is an interval away, after this span ends.
  await monitor.ready;
  const mark = monitor.begin();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  busyLoop(80);
  const cpu = process.cpuUsage(cpu0);
  const processPercent = (cpu.user + cpu.system) / (performance.now() - wall0) / 10;
  const f = monitor.measure(mark);
  assert.equal(f.samples, 0);
  assert.deepEqual([f.cpuAvg, f.cpuMax, f.cpuMin], [f.cpuExact, f.cpuExact, f.cpuExact]);
  assert.ok(Math.abs(f.cpuExact - processPercent) < 15, `exact ${f.cpuExact} vs ${processPercent}`);
  assert.ok(f.cpuExact > 5);
});

test(
  'work on the CPU pool reads clearly over one core',
  { skip: availableParallelism() < 2 && `this machine has ${availableParallelism()} core` },
  async (t) => {
    const monitor = createResourceMonitor({ intervalMs: 100 });
    const pool = createCpuPool(2);
    t.after(async () => {
      await pool.close();
      await monitor.close();
    });
    await monitor.ready;
    await runCpuOperation('intensive_prime_computation', 2000, () => pool); // workers started
    // Other users share these cores: a reading over one core needs a window where both are
    // free. Every attempt checks the reading against what the process really used.
    let mostCores = 0;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const mark = monitor.begin();
      const m = await measureCpu(() =>
        runCpuOperation('intensive_prime_computation', 40_000, () => pool),
      );
      const f = monitor.measure(mark);
      t.diagnostic(
        `attempt ${attempt}: process ${m.processPercent.toFixed(1)} %, pool threads wanted ` +
          `${m.coresWanted.toFixed(2)} cores, got ${m.coresGot.toFixed(2)}; monitor ${JSON.stringify(f)}`,
      );
      assert.ok(Math.abs(f.cpuAvg / m.processPercent - 1) < 0.15, `avg ${f.cpuAvg}`);
      assert.ok(f.cpuMax <= 220, `max ${f.cpuMax}`);
      assert.ok(m.coresWanted > 1.7, `the pool threads wanted ${m.coresWanted} cores`);
      if (m.processPercent > 140) {
        assert.ok(f.cpuAvg > 130, `avg ${f.cpuAvg}`);
        assert.ok(f.cpuMax > 130, `max ${f.cpuMax}`);
        return;
      }
      mostCores = Math.max(mostCores, m.processPercent / 100);
    }
    // Not a pass: said as a skip, with why.
    t.skip(
      `the machine never gave this process two free cores in 5 tries (at most ` +
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
  assert.equal(fl.cpuBound, true);
  assert.equal(fl.memoryThresholdExceeded, true);
  assert.equal(fh.cpuBound, false);
  assert.equal(fh.memoryThresholdExceeded, false);
});

test('the sampler thread does not keep a process alive', async () => {
  const monitorModule = path.join(__dirname, '..', 'src', 'monitor', 'index.js');
  const script = `require(${JSON.stringify(monitorModule)}).createResourceMonitor({ intervalMs: 10 });
    setTimeout(() => console.log('done'), 100);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  assert.equal(code, 0);
  assert.equal(out.trim(), 'done');
});

test('on the main thread (--workload none) the sampler reads every interval, and keeps no process alive', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 50, sampler: 'main' });
  t.after(() => monitor.close());
  await monitor.ready;
  const mark = monitor.begin();
  await sleep(400);
  const f = monitor.measure(mark);
  assert.ok(f.samples >= 6, `${f.samples} samples`);
  assert.ok(f.cpuAvg < 30, `idle avg ${f.cpuAvg}`);
  const { points } = monitor.samplesSince(0);
  assert.ok(points.length >= 8, `${points.length} readings for the metrics`);

  const monitorModule = path.join(__dirname, '..', 'src', 'monitor', 'index.js');
  const script = `require(${JSON.stringify(monitorModule)}).createResourceMonitor({ intervalMs: 10, sampler: 'main' });
    setTimeout(() => console.log('done'), 100);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  assert.equal(code, 0);
  assert.equal(out.trim(), 'done');
});
