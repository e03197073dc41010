import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';

// `--tracing off` is how the pipeline bench measures what tracing costs: the same pipeline,
// every order still completed, and nothing at all reaching the collector.
test('tracelab up --tracing off: orders complete, no service sends a span', async () => {
  const sys = await startSystem(['--tracing', 'off', '--workload', 'none']);
  try {
    const accepted = await Promise.all(
      Array.from({ length: 5 }, (_, i) => postOrder(sys.apiUrl, { item: `off-${i}`, quantity: 1 })),
    );
    const statuses = await waitForCompleted(
      sys.apiUrl,
      accepted.map((a) => a.id),
    );
    assert.deepEqual(
      statuses.map((s) => s.status),
      Array(5).fill('completed'),
    );
    // Long enough for a batch export (every 200 ms in tests) to have arrived had there been one.
    await new Promise((r) => setTimeout(r, 1500));
    const services = (await (await fetch(`${sys.queryUrl}/api/services`)).json()) as {
      data: string[];
    };
    assert.deepEqual(services.data, []);
  } finally {
    await sys.stop();
  }
});
