import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createBus, lazyLagReader } from '../../src/bus/index.js';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { Capabilities, LagReport } from '../../src/collector/query/tracelab-api.js';
import type { JaegerResponse } from '../../src/model/jaeger-trace.js';
import { gate, redisAdapter } from '../helpers/bus.js';
import { waitFor } from '../helpers/wait.js';

async function start(
  t: TestContext,
  extra: Parameters<typeof startCollector>[0],
): Promise<RunningCollector> {
  const c = await startCollector({ otlpPort: 0, httpPort: 0, ...extra });
  t.after(() => c.close());
  return c;
}

test('lag per consumer group, read from real Redis Streams through Bus.lag', async (t) => {
  const fixture = await redisAdapter.open();
  // One message held by the consumer, two waiting behind it. Let go before the bus closes.
  const hold = gate();
  const c = await start(t, {
    lag: lazyLagReader(
      {
        kind: 'redis',
        redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        keyPrefix: fixture.keyPrefix!,
      },
      createBus,
    ),
  });
  const sub = await fixture.bus.consume(
    'orders',
    { group: 'processing-service', consumer: 'p-1' },
    () => hold.promise,
  );
  t.after(async () => {
    hold.open();
    await sub.stop();
    await fixture.cleanup();
  });
  for (let i = 0; i < 3; i++) await fixture.bus.publish('orders', { value: `m${i}` });

  const report = await waitFor('lag with one pending message', async () => {
    const res = await fetch(`${c.queryUrl}/api/tracelab/lag`);
    assert.equal(res.status, 200);
    const data = ((await res.json()) as JaegerResponse<LagReport>).data;
    const g = data.groups.find((x) => x.group === 'processing-service');
    return g?.pending === 1 ? data : undefined;
  });
  assert.equal(report.bus, 'redis');
  assert.deepEqual(
    report.groups.find((g) => g.group === 'processing-service'),
    { group: 'processing-service', topic: 'orders', lag: 2, pending: 1 },
  );
  const caps = (await (
    await fetch(`${c.queryUrl}/api/tracelab/capabilities`)
  ).json()) as JaegerResponse<Capabilities>;
  assert.equal(caps.data.endpoints.lag.available, true);
});
