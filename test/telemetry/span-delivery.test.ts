import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { deliverSpans } from '../../src/telemetry/counting-exporter.js';
import type { DropReport } from '../../src/telemetry/counting-exporter.js';

/** An exporter whose answers are scripted: each try takes the next, the last one repeats. */
function scripted(answers: readonly (Error | undefined)[]) {
  const tries: number[] = [];
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done: (r: ExportResult) => void) {
      const error = answers[Math.min(tries.length, answers.length - 1)];
      tries.push(spans.length);
      setImmediate(() =>
        done(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS }),
      );
    },
    shutdown: () => Promise.resolve(),
  };
  return { exporter, tries };
}

const spans = (n: number) => Array.from({ length: n }, () => ({}) as ReadableSpan);
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { code: status });

function delivery(
  answers: readonly (Error | undefined)[],
  extra: { retryBudgetMs?: number; maxPendingSpans?: number; backoffMs?: number } = {},
) {
  const { exporter, tries } = scripted(answers);
  const reports: DropReport[] = [];
  const acks: ExportResult[] = [];
  const d = deliverSpans(exporter, {
    report: (r) => reports.push(r),
    intervalMs: 0,
    retryBudgetMs: extra.retryBudgetMs ?? 5000,
    maxPendingSpans: extra.maxPendingSpans ?? 100,
    initialBackoffMs: extra.backoffMs ?? 5,
    maxBackoffMs: extra.backoffMs ?? 20,
  });
  const send = (n: number) => d.export(spans(n), (r) => acks.push(r));
  return { d, tries, reports, acks, send };
}

test('a batch that fails, then is taken, is not counted as dropped', async () => {
  const { d, tries, reports, acks, send } = delivery([refused(), httpError(503), undefined]);
  send(4);
  // The processor is answered at once, before the batch is delivered.
  assert.equal(acks[0]?.code, ExportResultCode.SUCCESS);
  await d.forceFlush();
  assert.deepEqual(tries, [4, 4, 4]);
  assert.deepEqual(reports, []);
  assert.equal(d.dropped().total, 0);
});

test('a batch still failing when its retry budget is spent is counted once, with why', async () => {
  const { d, tries, reports, send } = delivery([refused()], { retryBudgetMs: 300 });
  send(3);
  await d.forceFlush();
  assert.ok(tries.length > 2, `${tries.length} tries`);
  assert.equal(d.dropped().total, 3);
  assert.deepEqual([...d.dropped().byReason], [['collector unreachable', 3]]);
  assert.deepEqual(reports, [{ dropped: 3, total: 3, reason: 'collector unreachable' }]);
});

test('a batch the collector refuses (4xx) is not sent again', async () => {
  const { d, tries, send } = delivery([httpError(400)]);
  send(2);
  await d.forceFlush();
  assert.deepEqual(tries, [2]);
  assert.equal(d.dropped().total, 2);
});

test('past the retry backlog a batch is given up on at once', async () => {
  const { d, acks, send } = delivery([refused()], { retryBudgetMs: 60, maxPendingSpans: 5 });
  send(4);
  send(4);
  assert.deepEqual(
    acks.map((a) => a.code),
    [ExportResultCode.SUCCESS, ExportResultCode.FAILED],
  );
  assert.match([...d.dropped().byReason.keys()][0]!, /^export backlog full/);
  await d.forceFlush();
  assert.equal(d.dropped().total, 8);
});

test('at shutdown a batch waiting for a retry gets one last try, without the wait', async () => {
  const { d, tries, send } = delivery([refused(), undefined], {
    retryBudgetMs: 60_000,
    backoffMs: 30_000,
  });
  send(2);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(tries, [2]);
  const started = Date.now();
  await d.shutdown();
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(tries, [2, 2]);
  assert.equal(d.dropped().total, 0);
});
