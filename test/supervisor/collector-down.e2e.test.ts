import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { test } from 'node:test';
import { DROPPED_SPANS_PATH } from '../../src/model/dropped-spans.js';
import type { DroppedSpansReport } from '../../src/model/dropped-spans.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

/** Takes a port as soon as it is free: a collector restarted there cannot listen. */
function holdPort(port: number): Promise<Server> {
  return waitFor(
    `port ${port} free`,
    () =>
      new Promise<Server | undefined>((resolve) => {
        // Accepts and hangs up at once: exporters sending there see the collector unreachable.
        const server = createServer((socket) => socket.destroy());
        server.once('error', () => resolve(undefined));
        server.listen(port, '127.0.0.1', () => resolve(server));
      }),
    10_000,
    5,
  );
}

test('the collector killed and held down: orders keep flowing, the services count dropped spans, up retries the collector', async () => {
  // Batches are retried for 2 s before their spans count as dropped.
  const sys = await startSystem(['--workload', 'none', '--export-retry-ms', '2000']);
  let held: Server | undefined;
  try {
    const pid = sys.pid('collector');
    const otlpPort = Number(new URL(sys.otlpUrl).port);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    held = await holdPort(otlpPort);

    // Past the restarts a service would get, `up` says so and keeps the pipeline running.
    await waitFor(
      'up saying the trace backend is down',
      () => /collector\s*\| .*the trace backend is down; the rest keeps running/.test(sys.output()),
      90_000,
      100,
    );
    assert.equal(sys.child.exitCode, null, 'tracelab up still running');

    const orders = [];
    for (let i = 0; i < 20; i++) {
      orders.push(await postOrder(sys.apiUrl, { item: `no-collector-${i}`, quantity: 1 }));
    }
    await waitForCompleted(
      sys.apiUrl,
      orders.map((o) => o.id),
      60_000,
    );
    // Every stage lost spans and says how many, in one line, not one per span.
    for (const service of ['api', 'processing', 'notification', 'analytics', 'inventory']) {
      await waitFor(
        `${service}-service counting dropped spans`,
        () =>
          new RegExp(
            `${service}-service\\s*\\| warn +dropped [\\d,]+ spans: collector unreachable`,
          ).test(sys.output()),
        30_000,
        100,
      );
    }
    // At most a line per service each --dropped-spans-log-ms (15 s by default) while it is down,
    // however many spans: the bound grows with how long a loaded machine took to get here.
    const dropLines = sys.output().match(/dropped [\d,]+ spans/g) ?? [];
    const mostLines = 5 * (Math.ceil((Date.now() - killedAt) / 15_000) + 1);
    assert.ok(
      dropLines.length <= mostLines,
      `a line per service each 15 s, not one per span: ${dropLines.length} > ${mostLines}`,
    );

    // The port given back: up's next try brings the collector back on it.
    await new Promise<void>((r) => held!.close(() => r()));
    held = undefined;
    await waitFor(
      'the collector back',
      () => /collector\s*\| back: the trace backend is up again/.test(sys.output()),
      60_000,
      100,
    );
    await postOrder(sys.apiUrl, { item: 'collector-back', quantity: 1 });
    await waitFor(
      'spans exported again',
      () => /spans are exported again: the collector is back/.test(sys.output()),
      30_000,
      100,
    );
    // The counts made while it was down reach the collector back, and up says them. A service
    // sends its count with its metrics, every few seconds: spans it gave up on after one send
    // (a batch still in its retries) come with the next.
    const report = await waitFor(
      'dropped spans of every service, at least one for each order',
      async () => {
        const res = await fetch(`${sys.queryUrl}${DROPPED_SPANS_PATH}`);
        if (res.status !== 200) return undefined;
        const r = ((await res.json()) as { data: DroppedSpansReport }).data;
        assert.equal(r.services.length, 5, JSON.stringify(r.services));
        for (const s of r.services) {
          assert.ok(s.dropped >= orders.length, `${s.service}: ${s.dropped}`);
        }
        return r;
      },
      30_000,
      250,
    );
    assert.ok(
      report.total > dropLines.length * 10,
      `${report.total} spans in ${dropLines.length} lines`,
    );
    for (const s of report.services) {
      assert.equal(s.reasons[0]?.reason, 'collector unreachable');
    }
    await waitFor(
      "up's dropped-spans line",
      () =>
        /tracelab\s*\| dropped spans: .*analytics-service \d+ \(collector unreachable\)/.test(
          sys.output(),
        ),
      10_000,
      100,
    );
  } catch (err) {
    const tail = sys.output().split('\n').slice(-40).join('\n');
    throw new Error(`${(err as Error).message}\n--- tracelab up said (last 40 lines):\n${tail}`, {
      cause: err,
    });
  } finally {
    held?.close();
    await sys.stop();
  }
});
