import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tracingShare } from '../../bench/tracing-share.js';

test("tracing's CPU is split into context, spans and ingest by neighbouring runs", () => {
  const share = tracingShare({
    untraced: { api: 0.4, redis: 0.4 },
    context: { api: 0.55, redis: 0.4 },
    sink: { api: 0.75, redis: 0.45 },
    traced: { api: 0.76, redis: 0.45, collector: 0.3 },
  });
  const byName = new Map(share.map((p) => [p.process, p]));
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);
  close(byName.get('api')!.context, 0.15);
  close(byName.get('api')!.spans, 0.2);
  close(byName.get('api')!.ingest, 0.01);
  close(byName.get('api')!.total, 0.36);
  // A process only the traced run has counts wholly as ingest.
  close(byName.get('collector')!.ingest, 0.3);
  close(byName.get('collector')!.context, 0);
  const total = byName.get('total')!;
  close(total.total, 0.36 + 0.05 + 0.3);
  close(total.context + total.spans + total.ingest, total.total);
});
