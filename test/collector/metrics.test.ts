import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createBus, lazyLagReader } from '../../src/bus/index.js';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { Capabilities } from '../../src/collector/query/tracelab-api.js';
import type { JaegerResponse } from '../../src/model/jaeger-trace.js';
import type { ProcessSeries } from '../../src/collector/store/metrics-store.js';
import {
  ExportMetricsServiceRequest,
  ExportMetricsServiceResponse,
} from '../../src/collector/ingest/otlp-schema.js';

const LIMIT = 64 * 1024;
const T0_US = 1_700_000_000_000_000;
const MB = 1024 * 1024;

type Test = { after: (fn: () => Promise<void>) => void };

async function start(
  t: Test,
  extra: Parameters<typeof startCollector>[0] = {},
): Promise<RunningCollector> {
  const c = await startCollector({ otlpPort: 0, httpPort: 0, bodyLimitBytes: LIMIT, ...extra });
  t.after(() => c.close());
  return c;
}

interface Sample {
  tUs: number;
  cpu?: number;
  memBytes?: number;
}

/** An OTLP/JSON metrics export of one process, as the spec spells it. */
function metricsJson(
  service: string,
  pid: number | undefined,
  samples: readonly Sample[],
  cpuCount?: number,
): string {
  const ns = (us: number) => `${us}000`;
  const points = (pick: (s: Sample) => number | undefined) =>
    samples
      .filter((s) => pick(s) !== undefined)
      .map((s) => ({
        startTimeUnixNano: ns(s.tUs - 100_000),
        timeUnixNano: ns(s.tUs),
        asDouble: pick(s),
      }));
  const metrics: object[] = [
    { name: 'process.cpu.utilization', unit: '1', gauge: { dataPoints: points((s) => s.cpu) } },
    {
      name: 'process.memory.usage',
      unit: 'By',
      sum: {
        aggregationTemporality: 2,
        isMonotonic: false,
        dataPoints: points((s) => s.memBytes).map((p) => ({
          ...p,
          asInt: String(p.asDouble),
          asDouble: undefined,
        })),
      },
    },
    // Someone else's metric: accepted, not kept.
    { name: 'http.server.request.duration', unit: 's', histogram: { dataPoints: [] } },
  ];
  if (cpuCount !== undefined) {
    metrics.push({
      name: 'system.cpu.logical.count',
      sum: { dataPoints: [{ timeUnixNano: ns(samples[0]!.tUs), asInt: String(cpuCount) }] },
    });
  }
  const attributes = [{ key: 'service.name', value: { stringValue: service } }];
  if (pid !== undefined)
    attributes.push({ key: 'process.pid', value: { intValue: String(pid) } } as never);
  return JSON.stringify({
    resourceMetrics: [
      { resource: { attributes }, scopeMetrics: [{ scope: { name: 'test' }, metrics }] },
    ],
  });
}

function post(c: RunningCollector, body: string | Uint8Array, headers: Record<string, string>) {
  return fetch(c.otlpMetricsUrl, { method: 'POST', headers, body });
}

const postJson = (c: RunningCollector, body: string) =>
  post(c, body, { 'content-type': 'application/json' });

async function series(c: RunningCollector, query = ''): Promise<ProcessSeries[]> {
  const res = await fetch(`${c.queryUrl}/api/tracelab/metrics${query}`);
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as JaegerResponse<ProcessSeries[]>).data;
}

const samples = (n: number, from = T0_US): Sample[] =>
  Array.from({ length: n }, (_, i) => ({
    tUs: from + i * 100_000,
    cpu: (i + 1) / 100,
    memBytes: (60 + i) * MB,
  }));

test('metrics sent as OTLP/JSON come back per process as CPU % of one core and memory MB', async (t) => {
  const c = await start(t);
  const res = await postJson(c, metricsJson('processing-service', 4242, samples(5), 4));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {});
  assert.equal((await postJson(c, metricsJson('api-service', 17, samples(3), 2))).status, 200);

  const all = await series(c);
  assert.deepEqual(
    all.map((s) => [s.service, s.pid, s.points.length]),
    [
      ['api-service', 17, 3],
      ['processing-service', 4242, 5],
    ],
  );
  const processing = all[1]!;
  // Utilization is a ratio of all 4 CPUs: 0.05 of 4 CPUs = 20 % of one core.
  assert.deepEqual(processing.points[4], { t: T0_US + 400_000, cpuPercent: 20, memoryMb: 64 });
  assert.deepEqual(
    processing.points.map((p) => p.t - T0_US),
    [0, 100_000, 200_000, 300_000, 400_000],
  );
  assert.equal(all[0]!.points[0]!.cpuPercent, 2); // 0.01 of 2 CPUs

  // A window and a service.
  const window = await series(
    c,
    `?service=processing-service&start=${T0_US + 100_000}&end=${T0_US + 300_000}`,
  );
  assert.deepEqual(
    window.map((s) => s.points.map((p) => p.t - T0_US)),
    [[100_000, 200_000, 300_000]],
  );
  assert.deepEqual(await series(c, '?service=nobody'), []);
});

test('metrics sent as gzip protobuf are kept; an export sent twice is kept once', async (t) => {
  const c = await start(t);
  const ns = (us: number) => (BigInt(us) * 1000n).toString();
  const request = ExportMetricsServiceRequest.fromObject({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'analytics-service' } },
            { key: 'process.pid', value: { intValue: 99 } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'process.cpu.utilization',
                gauge: {
                  dataPoints: [
                    { timeUnixNano: ns(T0_US), asDouble: 0.5 },
                    { timeUnixNano: ns(T0_US + 100_000), asDouble: 0.25 },
                  ],
                },
              },
              {
                name: 'process.memory.usage',
                sum: {
                  dataPoints: [
                    { timeUnixNano: ns(T0_US), asInt: 100 * MB },
                    { timeUnixNano: ns(T0_US + 100_000), asInt: 101 * MB },
                  ],
                },
              },
              {
                name: 'system.cpu.logical.count',
                sum: { dataPoints: [{ timeUnixNano: ns(T0_US), asInt: 2 }] },
              },
            ],
          },
        ],
      },
    ],
  });
  const bytes = gzipSync(ExportMetricsServiceRequest.encode(request).finish());
  for (let i = 0; i < 2; i++) {
    const res = await post(c, bytes, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    assert.equal(res.status, 200);
    const reply = ExportMetricsServiceResponse.decode(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(ExportMetricsServiceResponse.toObject(reply), {});
  }
  assert.deepEqual(await series(c), [
    {
      service: 'analytics-service',
      pid: 99,
      points: [
        { t: T0_US, cpuPercent: 100, memoryMb: 100 },
        { t: T0_US + 100_000, cpuPercent: 50, memoryMb: 101 },
      ],
    },
  ]);
});

test('each process keeps its newest points up to the cap', async (t) => {
  const c = await start(t, { maxMetricPoints: 4 });
  await postJson(c, metricsJson('api-service', 1, samples(6), 1));
  await postJson(c, metricsJson('api-service', 1, samples(2, T0_US + 600_000), 1));
  const [api] = await series(c);
  assert.deepEqual(
    api!.points.map((p) => (p.t - T0_US) / 100_000),
    [4, 5, 6, 7],
  );
  assert.equal(c.metrics.pointCount(), 4);
});

const good = metricsJson('api-service', 1, samples(2), 1);

const badRequests: {
  name: string;
  headers: Record<string, string>;
  body: string | Buffer;
  status: number;
  error: string;
  message?: RegExp;
}[] = [
  {
    name: 'malformed protobuf',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from([0x0a, 0xff, 0x01, 0x02]),
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /ExportMetricsServiceRequest/,
  },
  {
    name: 'JSON that does not parse',
    headers: { 'content-type': 'application/json' },
    body: '{"resourceMetrics": [',
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
  },
  {
    name: 'a good process beside a point of the wrong shape',
    headers: { 'content-type': 'application/json' },
    body: (() => {
      const r = JSON.parse(good) as {
        resourceMetrics: { scopeMetrics: { metrics: { gauge?: { dataPoints: object[] } }[] }[] }[];
      };
      r.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints.push({
        timeUnixNano: 'soon',
        asDouble: 0.1,
      });
      return JSON.stringify(r);
    })(),
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /metrics\[0\]\.dataPoints\[2\]\.timeUnixNano/,
  },
  {
    name: 'a body over the limit',
    headers: { 'content-type': 'application/json' },
    body: metricsJson('x'.repeat(LIMIT), 1, samples(1)),
    status: 413,
    error: 'OTLP_BODY_TOO_LARGE',
  },
  {
    name: 'a gzip body that inflates past the limit',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(metricsJson('x'.repeat(4 * LIMIT), 1, samples(1))),
    status: 413,
    error: 'OTLP_BODY_TOO_LARGE',
  },
  {
    name: 'an unknown content type',
    headers: { 'content-type': 'text/plain' },
    body: good,
    status: 415,
    error: 'OTLP_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an unknown content encoding',
    headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    body: good,
    status: 415,
    error: 'OTLP_UNSUPPORTED_ENCODING',
  },
];

test('bad metrics requests get a coded JSON error and store nothing', async (t) => {
  const c = await start(t);
  for (const k of badRequests) {
    const res = await post(c, k.body, k.headers);
    assert.equal(res.status, k.status, k.name);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/, k.name);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, k.error, k.name);
    if (k.message) assert.match(body.message, k.message, k.name);
  }
  const get = await fetch(c.otlpMetricsUrl);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.deepEqual(await series(c), []);
  assert.equal(c.metrics.pointCount(), 0);
  // Still takes good metrics afterwards.
  assert.equal((await postJson(c, good)).status, 200);
  assert.equal(c.metrics.pointCount(), 2);
});

test('points with impossible values are refused through partialSuccess; the rest are kept', async (t) => {
  const c = await start(t);
  const body = metricsJson('api-service', 1, [
    { tUs: T0_US, cpu: 0.1, memBytes: MB },
    { tUs: T0_US + 100_000, cpu: -1 },
  ]);
  const res = await postJson(c, body);
  assert.equal(res.status, 200);
  const reply = (await res.json()) as {
    partialSuccess: { rejectedDataPoints: string; errorMessage: string };
  };
  assert.equal(reply.partialSuccess.rejectedDataPoints, '1');
  assert.match(reply.partialSuccess.errorMessage, /value -1 is not a finite non-negative number/);
  const [api] = await series(c);
  assert.deepEqual(
    api!.points.map((p) => p.t),
    [T0_US],
  );
});

test('bad metrics queries get a 400 in the API envelope', async (t) => {
  const c = await start(t);
  for (const [query, message] of [
    ['?start=yesterday', /start: expected a whole number of microseconds/],
    ['?start=20&end=10', /end: must not be before start/],
  ] as const) {
    const res = await fetch(`${c.queryUrl}/api/tracelab/metrics${query}`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as JaegerResponse<null>;
    assert.match(body.errors![0]!.msg, message);
  }
});

test('capabilities say what exists; lag without bus settings is a 404 that says why', async (t) => {
  const c = await start(t);
  const caps = (await (
    await fetch(`${c.queryUrl}/api/tracelab/capabilities`)
  ).json()) as JaegerResponse<Capabilities>;
  assert.equal(caps.data.backend, 'tracelab');
  assert.equal(caps.data.endpoints.metrics.available, true);
  assert.equal(caps.data.endpoints.lag.available, false);
  assert.match(caps.data.endpoints.lag.reason!, /without bus settings/);

  const lag = await fetch(`${c.queryUrl}/api/tracelab/lag`);
  assert.equal(lag.status, 404);
  const body = (await lag.json()) as JaegerResponse<null>;
  assert.equal(body.errors![0]!.error, 'LAG_NOT_CONFIGURED');
  assert.match(body.errors![0]!.msg, /without bus settings/);
});

test('lag from a bus that is not there is a quick 503, not a hang', async (t) => {
  const c = await start(t, {
    lag: lazyLagReader(
      { kind: 'redis', redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'x:' },
      createBus,
    ),
  });
  const began = Date.now();
  const res = await fetch(`${c.queryUrl}/api/tracelab/lag`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as JaegerResponse<null>;
  assert.equal(body.errors![0]!.error, 'LAG_UNAVAILABLE');
  assert.match(body.errors![0]!.msg, /redis/i);
  assert.ok(Date.now() - began < 5000, `answered in ${Date.now() - began} ms`);
});
