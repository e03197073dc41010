import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createResourceMonitor } from '../../src/monitor/index.js';

/**
 * A node process that starts a monitor with `options` and prints "done" after 100 ms: it
 * must then exit by itself (killed after 10 s if the monitor keeps it alive).
 */
async function assertExitsWithMonitor(options: string): Promise<void> {
  const monitorModule = path.join(__dirname, '..', '..', 'src', 'monitor', 'index.js');
  const script = `require(${JSON.stringify(monitorModule)}).createResourceMonitor(${options});
    setTimeout(() => console.log('done'), 100);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  assert.equal(code, 0);
  assert.equal(out.trim(), 'done');
}

test('the sampler thread does not keep a process alive', async () => {
  await assertExitsWithMonitor('{ intervalMs: 10 }');
});

test('on the main thread (--workload none) the sampler reads every interval, and keeps no process alive', async (t) => {
  const monitor = createResourceMonitor({ intervalMs: 50, sampler: 'main' });
  t.after(() => monitor.close());
  await monitor.ready;
  const mark = monitor.begin();
  await sleep(400);
  const f = monitor.measure(mark);
  assert.ok(f.samples >= 6, `${f.samples} samples`);
  assert.ok(f.cpu!.avg < 30, `idle avg ${f.cpu!.avg}`);
  const { points } = monitor.samplesSince(0);
  assert.ok(points.length >= 8, `${points.length} readings for the metrics`);
  await assertExitsWithMonitor("{ intervalMs: 10, sampler: 'main' }");
});
