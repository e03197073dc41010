import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { getTrace, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const env = { TRACELAB_ADMIN_URL: '', TRACELAB_QUERY_URL: '' };

const servicesOf = (t: JaegerTrace) => new Set(t.spans.map((s) => serviceOf(t, s)));

test(
  'processing.propagation=drop switched at run time: the order’s trace ends at processing, notification starts a new one, and analyze names the hop',
  { timeout: 180_000 },
  async (t) => {
    const sys = await startSystem(['--workload', 'none']);
    t.after(() => sys.stop());
    const set = await runCli(
      ['fault', 'processing.propagation=drop', '--admin-url', sys.adminUrl],
      { env },
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /processing\.propagation=drop/);
    // Services read the switches every second.
    await new Promise((r) => setTimeout(r, 1500));

    const order = await postOrder(sys.apiUrl, { item: 'lost-context', quantity: 1 });
    await waitForCompleted(sys.apiUrl, [order.id], 60_000);

    // The order's own trace: the API and processing, whose send span says it dropped the
    // context, and inventory: processing's call to it passes the context over HTTP, only the
    // message loses it.
    const first = await waitFor('the order trace with processing’s send span', async () => {
      const tr = await getTrace(sys.queryUrl, order.traceId);
      const names = new Set(tr?.spans.map((s) => s.operationName));
      return tr && names.has('send processed-orders') && names.has('reserve_stock')
        ? tr
        : undefined;
    });
    assert.deepEqual([...servicesOf(first)].sort(), [
      'api-service',
      'inventory-service',
      'processing-service',
    ]);
    const send = first.spans.find((s) => s.operationName === 'send processed-orders')!;
    assert.equal(tag(send, 'tracelab.fault'), 'propagation');

    // Notification and analytics carry on in a trace of their own, rooted in notification.
    const second = await waitFor('a new trace of the order from notification on', async () => {
      const q = new URLSearchParams({
        service: 'notification-service',
        tags: JSON.stringify({ 'order.id': order.id }),
        limit: '20',
      });
      const res = await fetch(`${sys.queryUrl}/api/traces?${q.toString()}`);
      const { data } = (await res.json()) as { data: JaegerTrace[] };
      return data.find(
        (tr) => tr.traceID !== order.traceId && servicesOf(tr).has('analytics-service'),
      );
    });
    assert.deepEqual([...servicesOf(second)].sort(), ['analytics-service', 'notification-service']);
    const roots = second.spans.filter((s) => s.references.length === 0);
    assert.deepEqual(
      roots.map((s) => [serviceOf(second, s), s.operationName]),
      [['notification-service', 'process processed-orders']],
    );

    const analyzed = await runCli(['analyze', '--url', sys.queryUrl, '--json'], { env });
    assert.equal(analyzed.code, 0, analyzed.stderr);
    const report = JSON.parse(analyzed.stdout) as {
      propagation: { brokenHops: { from: string; to: string; orders: number }[] };
      findings: { text: string }[];
    };
    assert.deepEqual(report.propagation.brokenHops, [
      { from: 'processing-service', to: 'notification-service', orders: 1 },
    ]);
    assert.ok(
      report.findings.some((f) =>
        f.text.includes(
          'context was lost between services: at processing-service → notification-service',
        ),
      ),
      JSON.stringify(report.findings.map((f) => f.text)),
    );

    // Switched off, the next order is one trace again.
    const off = await runCli(['fault', 'processing.propagation=off', '--admin-url', sys.adminUrl], {
      env,
    });
    assert.equal(off.code, 0, off.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    const next = await postOrder(sys.apiUrl, { item: 'whole-again', quantity: 1 });
    await waitForCompleted(sys.apiUrl, [next.id], 60_000);
    const whole = await waitFor('the next order whole in one trace', async () => {
      const tr = await getTrace(sys.queryUrl, next.traceId);
      return tr && servicesOf(tr).size === 5 ? tr : undefined;
    });
    assert.equal(whole.traceID, next.traceId);
  },
);
