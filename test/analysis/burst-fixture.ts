import type { JaegerReference, JaegerSpan, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { drawTraces } from '../helpers/draw-trace.js';

/**
 * A burst of four orders, published 1 ms apart; processing takes 4 ms each, one at a time, so
 * each waits 3 ms longer than the one before (2, 5, 8, 11 ms): head-of-line blocking. Each
 * column is 1 ms.
 */
export function burst(): JaegerTrace[] {
  const order = (n: number, send: number, consume: number, cpu: number, bound: boolean) => {
    const pad = (k: number) => ' '.repeat(k);
    return `
trace t${n}
POST /order                      | api-service          | server   |${pad(send)}[]  order.id=o${n}
  send orders                    | api-service          | producer |${pad(send)}[]  messaging.message.id=1700000000000-${n}
    process orders               | processing-service   | consumer |${pad(consume)}[===]
      process_order              | processing-service   |          |${pad(consume)}[===]  order.id=o${n}
        intensive_prime_computation | processing-service |         |${pad(consume)}[==]  workload.operation=intensive_prime_computation workload.intensity=heavy workload.type=cpu_heavy resource.cpu.avg=${cpu} resource.cpu.max=${cpu + 16} resource.cpu_bound=${bound} resource.memory.avg_mb=120 resource.memory.max_mb=130
        send processed-orders    | processing-service   | producer |${pad(consume + 3)}[]  messaging.message.id=1700000000010-${n}
          process processed-orders | notification-service | consumer |${pad(consume + 4)}[]
            notify_order         | notification-service |          |${pad(consume + 4)}[]  order.id=o${n}
              json_processing    | notification-service |          |${pad(consume + 4)}[]  workload.operation=json_processing workload.intensity=light workload.type=cpu_heavy resource.cpu.avg=20 resource.cpu.max=30 resource.cpu_bound=false resource.memory.avg_mb=60 resource.memory.max_mb=62
`;
  };
  return drawTraces(
    order(1, 0, 3, 150, true) +
      order(2, 1, 7, 160, true) +
      order(3, 2, 11, 170, true) +
      order(4, 3, 15, 180, false),
  );
}

/**
 * A child-mode trace as link mode would record it: each consumer span under a producer starts
 * a trace of its own (`<trace>-<span>`), its subtree with it, and follows from the producer.
 */
export function asLinkMode(trace: JaegerTrace): JaegerTrace[] {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const parentOf = (s: JaegerSpan) => s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
  const startsTrace = (s: JaegerSpan): boolean => {
    const parent = byId.get(parentOf(s) ?? '');
    return isKind(s, 'consumer') && parent !== undefined && isKind(parent, 'producer');
  };
  const traceOf = (s: JaegerSpan): string => {
    if (startsTrace(s)) return `${trace.traceID}-${s.spanID}`;
    const parent = byId.get(parentOf(s) ?? '');
    return parent ? traceOf(parent) : trace.traceID;
  };
  const traces = new Map<string, JaegerSpan[]>();
  for (const s of trace.spans) {
    const id = traceOf(s);
    const references: JaegerReference[] = startsTrace(s)
      ? [
          {
            refType: 'FOLLOWS_FROM',
            traceID: traceOf(byId.get(parentOf(s)!)!),
            spanID: parentOf(s)!,
          },
        ]
      : s.references.map((r) => ({ ...r, traceID: id }));
    const list = traces.get(id) ?? [];
    list.push({ ...s, traceID: id, references });
    traces.set(id, list);
  }
  return [...traces].map(([traceID, spans]) => ({
    traceID,
    spans,
    processes: trace.processes,
    warnings: null,
  }));
}

function isKind(s: JaegerSpan, kind: string): boolean {
  return s.tags.some((t) => t.key === 'span.kind' && t.value === kind);
}
