import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeTraces, stitchLinkedTraces } from '../../src/analysis/index.js';
import { jaegerTraceReader } from '../../src/analysis/jaeger-reader.js';
import { asLinkMode, burst } from './burst-fixture.js';

describe('stitchLinkedTraces', () => {
  const child = burst();
  const linked = child.flatMap(asLinkMode);

  test('the link-mode fixture is what link mode records: three traces an order', () => {
    assert.equal(linked.length, 12);
    const consumerRoots = linked.filter((t) =>
      t.spans.some((s) => s.references.some((r) => r.refType === 'FOLLOWS_FROM')),
    );
    assert.equal(consumerRoots.length, 8);
  });

  test('groups each order’s linked traces into one chain, first trace first', () => {
    // Shuffled: the consumers' traces before the api's, orders interleaved.
    const shuffled = [...linked].reverse();
    const chains = stitchLinkedTraces(shuffled, jaegerTraceReader);
    assert.deepEqual(
      chains.map((c) => [c.traceID, c.parts.length]),
      [
        ['t4', 3],
        ['t3', 3],
        ['t2', 3],
        ['t1', 3],
      ],
    );
    for (const c of chains) {
      const names = c.parts.map((p) => p.spans[0]!.operationName);
      assert.deepEqual(names, ['POST /order', 'process orders', 'process processed-orders']);
    }
  });

  test('a trace without links is a chain of one; a link to a trace not given is ignored', () => {
    const [api, processing, notification] = asLinkMode(child[0]!);
    const chains = stitchLinkedTraces([processing!, notification!], jaegerTraceReader);
    assert.deepEqual(
      chains.map((c) => c.parts.map((p) => p.traceID)),
      [[processing!.traceID, notification!.traceID]],
    );
    assert.equal(stitchLinkedTraces([api!], jaegerTraceReader)[0]!.parts[0], api);
  });
});

describe('analyzeTraces across links', () => {
  const child = analyzeTraces(burst());
  const linked = analyzeTraces(burst().flatMap(asLinkMode));

  test('link mode gives the report child mode gives: waits, critical path, bottleneck', () => {
    assert.equal(child.headline.kind, 'bottleneck', 'the fixture has a bottleneck to find');
    assert.deepEqual(linked.hops, child.hops);
    assert.deepEqual(linked.consumers, child.consumers);
    assert.deepEqual(linked.criticalPath, child.criticalPath);
    assert.deepEqual(linked.bottleneck, child.bottleneck);
    assert.deepEqual(linked, child);
  });

  test('without stitching, link mode would cut the hops: each consumer a root', () => {
    // What a reader that ignores the links sees: no producer above any consumer.
    const cut = burst()
      .flatMap(asLinkMode)
      .map((t) => ({
        ...t,
        spans: t.spans.map((s) => ({
          ...s,
          references: s.references.filter((r) => r.refType === 'CHILD_OF'),
        })),
      }));
    assert.equal(analyzeTraces(cut).hops.length, 0);
  });
});
