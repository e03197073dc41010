import assert from 'node:assert/strict';
import { analyzeTraces } from '../../src/analysis/index.js';
import { startCollector, storedTraceReader } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { drawTraces, T0 } from '../helpers/draw-trace.js';

/**
 * Eight orders through processing (two replicas, one of them named only by host and pid) and
 * notification, sent as OTLP to real collectors: one that analyses its stored traces itself
 * (`GET /api/tracelab/analysis`, as `tracelab collector` runs it) and one without that, where
 * `tracelab analyze` reads the traces as Jaeger JSON instead. Each column is 1 ms. Odd on
 * purpose: an orphan span, a link instead of a parent, spans sent in any order, a poll.
 */
function orders(): JaegerTrace[] {
  const pad = (k: number) => ' '.repeat(k);
  const order = (n: number, send: number, consume: number) => `
trace ${n.toString(16).padStart(32, '0')}
POST /order                 | api-service          | server   |${pad(send)}[]  order.id=o${n}
  send orders               | api-service          | producer |${pad(send)}[]
    process orders          | processing-service#${(n % 2) + 1} | consumer |${pad(consume)}[===]
      process_order         | processing-service#${(n % 2) + 1} |          |${pad(consume)}[===]  order.id=o${n}
        hash_computation    | processing-service#${(n % 2) + 1} |          |${pad(consume)}[==]  workload.operation=hash_computation workload.intensity=${n % 3 ? 'heavy' : 'light'} resource.cpu.avg=${100 + n} resource.cpu.max=${120 + n} resource.cpu_bound=${n % 2 === 0} resource.memory.avg_mb=80.5
        send processed-orders | processing-service#${(n % 2) + 1} | producer |${pad(consume + 3)}[]
          process processed-orders | notification-service | consumer |${pad(consume + 5)}[]  ref=follows
            notify_order    | notification-service |          |${pad(consume + 5)}[]  order.id=o${n}
${n === 3 ? `late retry                  | notification-service |          |${pad(consume + 7)}[]  parent=gone` : ''}`;
  const poll = `
trace ${(99).toString(16).padStart(32, '0')}
GET /order/:id              | api-service          | server   |[]
  HGETALL order             | api-service          | client   |[]  order.id=o1
`;
  return drawTraces(
    [0, 1, 2, 3, 4, 5, 6, 7].map((n) => order(n + 1, n, 2 + 4 * n)).join('') + poll,
  );
}

const KIND: Record<string, number> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

/** A value as OTLP/JSON types it. */
function anyValue(v: string | number | boolean): Record<string, unknown> {
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  return { stringValue: v };
}

/** Drawn traces as one OTLP/JSON export, moved to end `agoUs` before now; spans shuffled. */
function otlpJson(traces: readonly JaegerTrace[], agoUs: number): string {
  const shiftUs = Date.now() * 1000 - agoUs - T0 - 100_000;
  const hexId = (id: string) => Buffer.from(id.padStart(8, '_')).toString('hex');
  const resources = new Map<string, unknown[]>();
  for (const trace of traces) {
    // Reversed: children before their parents, as exporters send them (each ends first).
    for (const s of [...trace.spans].reverse()) {
      const p = trace.processes[s.processID]!;
      const replica = p.tags.find((t) => t.key === 'service.instance.id')?.value;
      // The second replica names itself by host and pid only.
      const resource =
        replica === undefined
          ? []
          : String(replica).endsWith('-2')
            ? [
                { key: 'host.name', value: anyValue('box') },
                { key: 'process.pid', value: anyValue(4242) },
              ]
            : [{ key: 'service.instance.id', value: anyValue(String(replica)) }];
      const key = JSON.stringify([p.serviceName, resource]);
      if (!resources.has(key)) resources.set(key, []);
      const kind = s.tags.find((t) => t.key === 'span.kind')?.value;
      const ref = s.references[0];
      const startUs = s.startTime + shiftUs;
      resources.get(key)!.push({
        traceId: trace.traceID,
        spanId: hexId(s.spanID),
        parentSpanId: ref?.refType === 'CHILD_OF' ? hexId(ref.spanID) : '',
        links:
          ref?.refType === 'FOLLOWS_FROM'
            ? [{ traceId: trace.traceID, spanId: hexId(ref.spanID) }]
            : [],
        name: s.operationName,
        kind: KIND[String(kind)] ?? 0,
        startTimeUnixNano: `${startUs}000`,
        endTimeUnixNano: `${startUs + s.duration}000`,
        attributes: s.tags
          .filter((t) => t.key !== 'span.kind')
          .map((t) => ({ key: t.key, value: anyValue(t.value) })),
      });
    }
  }
  return JSON.stringify({
    resourceSpans: [...resources].map(([key, spans]) => {
      const [service, attributes] = JSON.parse(key) as [string, unknown[]];
      return {
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: service } }, ...attributes],
        },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      };
    }),
  });
}

/** Both collectors, each sent the same orders (the analysing one runs the analysis itself). */
export async function startCollectorsWithOrders(): Promise<{
  analysing: RunningCollector;
  plain: RunningCollector;
}> {
  const analysing = await startCollector({
    otlpPort: 0,
    httpPort: 0,
    analyze: (traces, options) => analyzeTraces(traces, options, storedTraceReader),
  });
  const plain = await startCollector({ otlpPort: 0, httpPort: 0 });
  // Sent in two exports, the second half of the spans first.
  const body = otlpJson(orders(), 60_000_000);
  for (const c of [analysing, plain]) {
    const res = await fetch(c.otlpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 200, await res.text());
  }
  return { analysing, plain };
}
