import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport } from '../../src/analysis/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerResponse, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { startCollectorsWithOrders } from './analysis-fixtures.js';

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
    ({ analysing, plain } = await startCollectorsWithOrders());
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
