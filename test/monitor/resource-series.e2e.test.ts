import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JaegerResponse } from '../../src/model/jaeger-trace.js';
import type { LagReport } from '../../src/collector/query/tracelab-api.js';
import type { ProcessSeries } from '../../src/collector/store/metrics-store.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const SERVICES = [
  'analytics-service',
  'api-service',
  'inventory-service',
  'notification-service',
  'processing-service',
];

// The sampler is a thread with a workload, a timer on the main thread without one: the same
// series either way.
for (const workload of ['spec', 'none']) {
  test(`tracelab up --workload ${workload}: every service (inventory too) exports its CPU and memory series, 100 ms apart; lag per group`, async () => {
    const sys = await startSystem(['--workload', workload]);
    try {
      const order = await postOrder(sys.apiUrl, { item: 'series', quantity: 1 });
      await waitForCompleted(sys.apiUrl, [order.id], 60_000);

      const series = await waitFor(
        'five services with 20 points each',
        async () => {
          const res = await fetch(`${sys.queryUrl}/api/tracelab/metrics`);
          const data = ((await res.json()) as JaegerResponse<ProcessSeries[]>).data;
          return data.length === SERVICES.length && data.every((s) => s.points.length >= 20)
            ? data
            : undefined;
        },
        60_000,
        250,
      );
      assert.deepEqual(
        series.map((s) => s.service),
        SERVICES,
      );
      // The process ids `up` printed are the ones the series belong to.
      for (const s of series) {
        assert.equal(s.pid, sys.pid(s.service), s.service);
        const gaps = s.points.slice(1).map((p, i) => (p.t - s.points[i]!.t) / 1000);
        const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
        assert.ok(median >= 90 && median <= 130, `${s.service}: median gap ${median} ms`);
        assert.ok(s.points.slice(1).every((p) => p.cpuPercent !== null && p.cpuPercent >= 0));
        assert.ok(
          s.points.every((p) => p.memoryMb !== null && p.memoryMb > 10),
          s.service,
        );
      }

      const lag = await fetch(`${sys.queryUrl}/api/tracelab/lag`);
      assert.equal(lag.status, 200);
      const report = ((await lag.json()) as JaegerResponse<LagReport>).data;
      assert.equal(report.bus, 'redis');
      assert.deepEqual(
        report.groups.map((g) => [g.group, g.topic, g.lag, g.pending]),
        [
          ['processing-service', 'orders', 0, 0],
          ['notification-service', 'processed-orders', 0, 0],
          ['analytics-service', 'notified-orders', 0, 0],
        ],
      );
    } finally {
      await sys.stop();
    }
  });
}
