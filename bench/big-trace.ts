/** A synthetic order trace of any size, shaped like the lab's, sent as OTLP/JSON. */
const SERVICES = ['api-service', 'processing-service', 'notification-service', 'analytics-service'];
const TOPICS = ['orders', 'processed-orders', 'notified-orders'];

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const dbl = (key: string, v: number) => ({ key, value: { doubleValue: v } });

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: object[];
}

/**
 * One order through the four services, as the lab traces it, with each stage's work split into
 * many small spans (a workload that makes one Redis call per item, say) to reach `total` spans.
 */
export function bigTrace(
  traceNo: number,
  total: number,
  startMs: number,
): { traceId: string; body: string } {
  const traceId = `b16${hex(traceNo, 29)}`;
  const byService = SERVICES.map(() => [] as Span[]);
  let n = 0;
  const add = (
    service: number,
    parent: string,
    name: string,
    kind: number,
    fromMs: number,
    toMs: number,
    attrs: object[] = [],
  ) => {
    const spanId = hex(++n, 16);
    byService[service]!.push({
      traceId,
      spanId,
      parentSpanId: parent,
      name,
      kind,
      startTimeUnixNano: `${Math.round(fromMs * 1000)}000`,
      endTimeUnixNano: `${Math.round(toMs * 1000)}000`,
      attributes: attrs,
    });
    return spanId;
  };
  const perService = Math.floor(total / SERVICES.length);
  let t = startMs;
  let parent = '';
  SERVICES.forEach((_, s) => {
    const topicIn = TOPICS[s - 1];
    const entry = topicIn
      ? add(s, parent, `process ${topicIn}`, 5, (t += 400), t + 1000, [
          str('messaging.destination.name', topicIn),
        ])
      : add(s, '', 'POST /order', 2, t, t + 1000);
    const stage = add(
      s,
      entry,
      ['create_order', 'process_order', 'notify_order', 'analyze_order'][s]!,
      1,
      t + 1,
      t + 990,
    );
    // Leaves spread over the stage, each with the resource figures of a workload span.
    const leaves = perService - 3 - (s < TOPICS.length ? 1 : 0);
    for (let i = 0; i < leaves; i++) {
      const from = t + 2 + (i * 980) / leaves;
      add(
        s,
        stage,
        i % 10 === 0 ? 'json_processing' : 'redis_basic',
        1,
        from,
        from + 900 / leaves,
        [
          str('workload.operation', 'redis_basic'),
          dbl('resource.cpu.avg', 42.5),
          dbl('resource.memory.avg_mb', 88.1),
        ],
      );
    }
    add(s, stage, 'hset', 3, t + 985, t + 986);
    if (s < TOPICS.length)
      parent = add(s, stage, `send ${TOPICS[s]}`, 4, t + 987, t + 989, [
        str('messaging.destination.name', TOPICS[s]!),
      ]);
    t += 1000;
  });
  const body = JSON.stringify({
    resourceSpans: SERVICES.map((service, s) => ({
      resource: { attributes: [str('service.name', service)] },
      scopeSpans: [{ scope: { name: 'bench' }, spans: byService[s] }],
    })),
  });
  return { traceId, body };
}
