import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport } from '../../src/analysis/index.js';
import { startCollector, storedTraceReader } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerResponse, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { runCli } from '../helpers/cli.js';
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

async function getJson<T>(url: string): Promise<{ status: number; body: JaegerResponse<T> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as JaegerResponse<T> };
}

describe('the collector analyses its stored traces for tracelab analyze', () => {
  let analysing: RunningCollector | undefined;
  let plain: RunningCollector | undefined;
  const window = () => {
    const nowUs = Date.now() * 1000;
    return `start=${nowUs - 3_600_000_000}&end=${nowUs}`;
  };

  before(async () => {
    analysing = await startCollector({
      otlpPort: 0,
      httpPort: 0,
      analyze: (traces, options) => analyzeTraces(traces, options, storedTraceReader),
    });
    plain = await startCollector({ otlpPort: 0, httpPort: 0 });
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
  });
  after(async () => {
    await analysing?.close();
    await plain?.close();
  });

  /** What tracelab analyze made of the Jaeger JSON before: each service's traces, once each. */
  async function fromJaegerJson(
    queryUrl: string,
    limit: number,
    service?: string,
  ): Promise<AnalysisReport> {
    const services = service
      ? [service]
      : (await getJson<string[]>(`${queryUrl}/api/services`)).body.data;
    const byId = new Map<string, JaegerTrace>();
    for (const s of services) {
      const { body } = await getJson<JaegerTrace[]>(
        `${queryUrl}/api/traces?service=${s}&${window()}&limit=${limit}`,
      );
      for (const t of body.data) if (!byId.has(t.traceID)) byId.set(t.traceID, t);
    }
    return analyzeTraces([...byId.values()], service ? { service } : {});
  }

  test('the same report as analyzing the traces read as Jaeger JSON', async () => {
    for (const [limit, service] of [
      [1000, undefined],
      [3, undefined],
      [1000, 'processing-service'],
    ] as const) {
      const { status, body } = await getJson<{
        traces: number;
        limited: string[];
        report: AnalysisReport;
      }>(
        `${analysing!.queryUrl}/api/tracelab/analysis?${window()}&limit=${limit}${service ? `&service=${service}` : ''}`,
      );
      assert.equal(status, 200);
      const expected = await fromJaegerJson(analysing!.queryUrl, limit, service);
      assert.deepEqual(
        body.data.report,
        JSON.parse(JSON.stringify(expected)),
        `${limit} ${service}`,
      );
      assert.equal(body.data.traces, expected.traces.count);
      assert.deepEqual(
        body.data.limited,
        limit === 3 ? ['api-service', 'notification-service', 'processing-service'] : [],
      );
    }
  });

  test('what the report says: two replicas, the orphan, the poll not an order', async () => {
    const { body } = await getJson<{ report: AnalysisReport }>(
      `${analysing!.queryUrl}/api/tracelab/analysis?${window()}&limit=100`,
    );
    const report = body.data.report;
    assert.equal(report.traces.count, 9);
    assert.equal(report.propagation.orderTraces, 8);
    assert.equal(report.propagation.orphanSpans, 1);
    const processing = report.consumers.find((c) => c.service === 'processing-service')!;
    assert.equal(processing.instances, 2);
    assert.equal(processing.messages, 8);
    assert.equal(report.hops.length, 2, 'the FOLLOWS_FROM consumer is a hop too');
    assert.equal(report.headline.service, 'processing-service');
  });

  test('tracelab analyze prints the same with and without the collector analysing', async () => {
    for (const extra of [[], ['--service', 'processing-service'], ['--limit', '3']]) {
      const args = ['analyze', '--since', '1h', '--json', ...extra];
      const [a, b] = await Promise.all([
        runCli([...args, '--url', analysing!.queryUrl]),
        runCli([...args, '--url', plain!.queryUrl]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const ra = JSON.parse(a.stdout) as AnalysisReport;
      const rb = JSON.parse(b.stdout) as AnalysisReport;
      assert.ok(ra.traces.count > 0);
      assert.deepEqual(ra, rb, extra.join(' '));
      assert.equal(a.stderr, b.stderr, 'the same notes');
      if (extra[0] === '--limit') assert.match(a.stderr, /read the --limit of 3 traces/);
    }
  });

  test('capabilities say whether it analyses; without it, 404 saying why', async () => {
    type Caps = { endpoints: Record<string, { available: boolean; reason?: string }> };
    const yes = await getJson<Caps>(`${analysing!.queryUrl}/api/tracelab/capabilities`);
    assert.equal(yes.body.data.endpoints.analysis!.available, true);
    const no = await getJson<Caps>(`${plain!.queryUrl}/api/tracelab/capabilities`);
    assert.equal(no.body.data.endpoints.analysis!.available, false);
    const missing = await getJson<null>(`${plain!.queryUrl}/api/tracelab/analysis?${window()}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors?.[0]?.error, 'ANALYSIS_NOT_CONFIGURED');
  });

  test('a bad parameter is a 400 naming it', async () => {
    const bad = await getJson<null>(`${analysing!.queryUrl}/api/tracelab/analysis?limit=lots`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors?.[0]?.msg ?? '', /^limit: /);
  });
});
