import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerResponse } from '../../src/model/jaeger-trace.js';
import type { ProcessSeries } from '../../src/collector/store/metrics-store.js';
import { createResourceMonitor } from '../../src/monitor/index.js';
import type { ResourceMonitor } from '../../src/monitor/index.js';
import { startResourceMetrics } from '../../src/telemetry/resource-metrics.js';
import { readingsToMetrics } from '../../src/telemetry/resource-samples-transform.js';
import { waitFor } from '../helpers/wait.js';

test('readings become one data point each, CPU as a ratio of all CPUs over the interval before', () => {
  const t0 = 1_700_000_000_000;
  const previous = { timeMs: t0, cpuUs: 1_000_000, rssBytes: 50e6 };
  const readings = [
    { timeMs: t0 + 100, cpuUs: 1_150_000, rssBytes: 51e6 }, // 150 ms CPU in 100 ms: 1.5 cores
    { timeMs: t0 + 200, cpuUs: 1_170_000, rssBytes: 52e6 }, // 0.2 cores
  ];
  const input = { previous, readings, cpuCount: 4, processStartMs: t0 - 5000 };
  const before = JSON.stringify(input);
  const [cpu, memory, cpus] = readingsToMetrics(input);
  assert.equal(JSON.stringify(input), before, 'the input is not changed');

  assert.equal(cpu!.descriptor.name, 'process.cpu.utilization');
  assert.equal(cpu!.descriptor.unit, '1');
  assert.equal(cpu!.dataPointType, DataPointType.GAUGE);
  assert.deepEqual(
    cpu!.dataPoints.map((p) => [
      hrTimeToMicroseconds(p.startTime),
      hrTimeToMicroseconds(p.endTime),
      Math.round(p.value * 1000) / 1000,
    ]),
    [
      [t0 * 1000, (t0 + 100) * 1000, 0.375],
      [(t0 + 100) * 1000, (t0 + 200) * 1000, 0.05],
    ],
  );
  assert.equal(memory!.descriptor.name, 'process.memory.usage');
  assert.equal(memory!.descriptor.unit, 'By');
  assert.equal(memory!.dataPointType, DataPointType.SUM);
  assert.deepEqual(
    memory!.dataPoints.map((p) => [hrTimeToMicroseconds(p.endTime), p.value]),
    [
      [(t0 + 100) * 1000, 51e6],
      [(t0 + 200) * 1000, 52e6],
    ],
  );
  assert.equal(cpus!.descriptor.name, 'system.cpu.logical.count');
  assert.equal(cpus!.dataPoints[0]!.value, 4);

  // Without the reading before, the first has no CPU figure; memory still goes.
  const [firstCpu, firstMemory] = readingsToMetrics({ ...input, previous: undefined });
  assert.equal(firstCpu!.dataPoints.length, 1);
  assert.equal(firstMemory!.dataPoints.length, 2);
  assert.deepEqual(readingsToMetrics({ ...input, readings: [] }), []);
});

async function seriesOf(queryUrl: string): Promise<ProcessSeries[]> {
  const res = await fetch(`${queryUrl}/api/tracelab/metrics?service=metrics-test`);
  return ((await res.json()) as JaegerResponse<ProcessSeries[]>).data;
}

function burnCpu(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The collector's points of this process equal the monitor's readings, one for one. */
async function assertEverySampleArrived(c: RunningCollector, monitor: ResourceMonitor) {
  const readings = monitor.samplesSince(0);
  assert.equal(readings.first, 0, 'the ring still holds the first reading');
  const [mine, ...others] = await seriesOf(c.queryUrl);
  assert.equal(others.length, 0);
  assert.equal(mine!.pid, process.pid);
  assert.equal(mine!.points.length, readings.points.length, 'one point per reading');
  for (const [i, r] of readings.points.entries()) {
    // ms → ns (rounded) on the wire → µs (floored) at the collector: within 1 µs.
    const off = Math.abs(mine!.points[i]!.t - r.timeMs * 1000);
    assert.ok(off <= 1, `point ${i} is ${off} µs off its reading`);
  }
  return mine!;
}

/** A real monitor sampling every 100 ms, its readings exported as this process's metrics. */
function monitorExportingTo(
  t: { after: (fn: () => Promise<void>) => void },
  url: string,
  exportIntervalMs: number,
) {
  const monitor = createResourceMonitor({ intervalMs: 100 });
  t.after(() => monitor.close());
  const exporter = startResourceMetrics({
    source: monitor,
    resource: resourceFromAttributes({
      'service.name': 'metrics-test',
      'process.pid': process.pid,
    }),
    url,
    exportIntervalMs,
  });
  return { monitor, exporter };
}

test('the monitor readings reach a real collector over OTLP/HTTP, every one, 100 ms apart', async (t) => {
  const c = await startCollector({ otlpPort: 0, httpPort: 0 });
  t.after(() => c.close());
  const { monitor, exporter } = monitorExportingTo(t, c.otlpMetricsUrl, 300);
  // Points arrive while it runs, not only at shutdown.
  await waitFor('points at the collector', async () => (await seriesOf(c.queryUrl)).length > 0);
  burnCpu(1000);
  await new Promise((r) => setTimeout(r, 500));
  await monitor.close();
  await exporter.shutdown();

  const series = await assertEverySampleArrived(c, monitor);
  assert.ok(series.points.length >= 12, `${series.points.length} points`);
  const gaps = series.points.slice(1).map((p, i) => (p.t - series.points[i]!.t) / 1000);
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
  assert.ok(median >= 90 && median <= 130, `median gap ${median} ms`);
  // % of one core × each interval adds up to the CPU time the process used, as the
  // readings measured it: the ratio and the CPU count come back as the right figure.
  const readings = monitor.samplesSince(0).points;
  const usedMs = (readings[readings.length - 1]!.cpuUs - readings[0]!.cpuUs) / 1000;
  let shownMs = 0;
  for (let i = 1; i < series.points.length; i++) {
    const wallMs = readings[i]!.timeMs - readings[i - 1]!.timeMs;
    shownMs += ((series.points[i]!.cpuPercent ?? 0) / 100) * wallMs;
  }
  assert.ok(usedMs > 100, `the busy second used ${usedMs} ms of CPU`);
  assert.ok(Math.abs(shownMs - usedMs) / usedMs < 0.01, `shown ${shownMs} ms, used ${usedMs} ms`);
  assert.ok(series.points.every((p) => p.memoryMb !== null && p.memoryMb > 10));
  assert.equal(series.points[0]!.cpuPercent, null, 'the first reading has no interval before it');
});

test('readings sent while the collector is down arrive once it is up', async (t) => {
  const otlpPort = await freePort();
  const { monitor, exporter } = monitorExportingTo(
    t,
    `http://127.0.0.1:${otlpPort}/v1/metrics`,
    200,
  );
  // Several exports fail (connection refused) before the collector starts.
  await waitFor('readings while down', () => monitor.samplesSince(0).points.length >= 8);
  const c = await startCollector({ otlpPort, httpPort: 0 });
  t.after(() => c.close());
  await waitFor('points at the collector', async () => (await seriesOf(c.queryUrl)).length > 0);
  await monitor.close();
  await exporter.shutdown();
  await assertEverySampleArrived(c, monitor);
});
