import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_UI_DIR } from '../../src/collector/index.js';
import { UI_CSP } from '../../src/collector/query/ui-assets.js';
import type { JaegerResponse, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import { send, spanIdOf, traceIdOf } from '../collector/otlp-fixtures.js';

const COLLECTOR_READY =
  /collector: OTLP\/HTTP receiver on (http:\/\/\S+\/v1\/traces)\ncollector: query API on (http:\/\/\S+)\n/;
const UI_READY = /ui: serving on (http:\/\/\S+) /;

/** A port nothing listens on: taken from the system, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('tracelab ui over a Jaeger query API (the collector standing in for Jaeger)', () => {
  let collector: Awaited<ReturnType<typeof startCli>>;
  let ui: Awaited<ReturnType<typeof startCli>>;
  let uiUrl: string;
  let index: string;
  const id = traceIdOf(7);

  before(async () => {
    collector = await startCli(
      ['collector', '--otlp-port', '0', '--http-port', '0'],
      COLLECTOR_READY,
    );
    const [, otlpUrl, queryUrl] = collector.match;
    await send(otlpUrl!, [
      { traceId: id, spanId: spanIdOf(1), service: 'api-service', name: 'POST /orders' },
      {
        traceId: id,
        spanId: spanIdOf(2),
        parentSpanId: spanIdOf(1),
        service: 'processing-service',
        name: 'process order',
      },
    ]);
    ui = await startCli(['ui', '--jaeger', queryUrl!, '--port', '0'], UI_READY);
    uiUrl = ui.match[1]!;
    index = await readFile(path.join(DEFAULT_UI_DIR, 'index.html'), 'utf8');
  });
  after(async () => {
    await stopChild(ui.child);
    await stopChild(collector.child);
  });

  test('it listens on 127.0.0.1 by default and says where', () => {
    assert.match(uiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("the trace comes through the proxy from Jaeger's query API", async () => {
    const res = await fetch(`${uiUrl}/api/traces/${id}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    const trace = ((await res.json()) as JaegerResponse<JaegerTrace[]>).data[0]!;
    assert.equal(trace.traceID, id);
    assert.deepEqual(
      trace.spans.map((s) => [s.operationName, trace.processes[s.processID]!.serviceName]).sort(),
      [
        ['POST /orders', 'api-service'],
        ['process order', 'processing-service'],
      ],
    );

    const services = (await (await fetch(`${uiUrl}/api/services`)).json()) as JaegerResponse<
      string[]
    >;
    assert.deepEqual(services.data, ['api-service', 'processing-service']);

    const ops = (await (
      await fetch(`${uiUrl}/api/services/api-service/operations`)
    ).json()) as JaegerResponse<string[]>;
    assert.deepEqual(ops.data, ['POST /orders']);

    // The query string goes through as it came.
    const found = (await (
      await fetch(`${uiUrl}/api/traces?service=processing-service&lookback=custom&start=0&limit=5`)
    ).json()) as JaegerResponse<JaegerTrace[]>;
    assert.deepEqual(
      found.data.map((t) => t.traceID),
      [id],
    );
  });

  test("Jaeger's status and error body come through unchanged", async () => {
    const missing = traceIdOf(999);
    const res = await fetch(`${uiUrl}/api/traces/${missing}`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as JaegerResponse<null>;
    assert.equal(body.errors?.[0]?.error, 'TRACE_NOT_FOUND');
    assert.match(body.errors[0].msg, new RegExp(missing));
  });

  test("the UI's page is served at /search and /trace/<id>, with the collector's CSP", async () => {
    for (const route of ['/', '/search?service=api-service', `/trace/${id}`]) {
      const res = await fetch(`${uiUrl}${route}`);
      assert.equal(res.status, 200, route);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      assert.equal(res.headers.get('content-security-policy'), UI_CSP, route);
      assert.equal(await res.text(), index, route);
    }
  });

  test('capabilities say the backend is Jaeger, without metrics or lag', async () => {
    const res = await fetch(`${uiUrl}/api/tracelab/capabilities`);
    assert.equal(res.status, 200);
    const caps = (
      (await res.json()) as JaegerResponse<{
        backend: string;
        endpoints: Record<string, { available: boolean; reason?: string }>;
      }>
    ).data;
    assert.equal(caps.backend, 'jaeger');
    for (const name of ['metrics', 'lag']) {
      assert.equal(caps.endpoints[name]!.available, false, name);
      assert.match(caps.endpoints[name]!.reason!, /not available with Jaeger/, name);
    }
  });

  test('metrics and lag answer 404 saying they are not available with Jaeger', async () => {
    for (const p of ['/api/tracelab/metrics', '/api/tracelab/lag']) {
      const res = await fetch(`${uiUrl}${p}`);
      assert.equal(res.status, 404, p);
      const body = (await res.json()) as JaegerResponse<null>;
      assert.equal(body.errors?.[0]?.error, 'NOT_AVAILABLE_WITH_JAEGER', p);
      assert.match(body.errors[0].msg, /not available with Jaeger/, p);
    }
  });

  test("paths outside Jaeger's query API are not forwarded", async () => {
    const res = await fetch(`${uiUrl}/api/services`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 404);
    const other = await fetch(`${uiUrl}/api/something-else`);
    assert.equal(other.status, 404);
  });
});

describe('tracelab ui when Jaeger is down', () => {
  test('a closed port: /api/services answers 502 JSON at once', async (t) => {
    const port = await closedPort();
    const ui = await startCli(
      ['ui', '--jaeger', `http://127.0.0.1:${port}`, '--port', '0'],
      UI_READY,
    );
    t.after(() => stopChild(ui.child));
    const res = await fetch(`${ui.match[1]}/api/services`, { signal: AbortSignal.timeout(15_000) });
    assert.equal(res.status, 502);
    const body = (await res.json()) as JaegerResponse<null>;
    assert.equal(body.errors?.[0]?.error, 'JAEGER_UNREACHABLE');
    assert.match(body.errors[0].msg, new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  test('a Jaeger that takes the connection and never answers: 502 after the timeout, no hang', async (t) => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as { port: number };
    const ui = await startCli(
      ['ui', '--jaeger', `http://127.0.0.1:${port}`, '--port', '0'],
      UI_READY,
    );
    t.after(() => stopChild(ui.child));
    // The client gives up well after the proxy's own timeout: a hang would fail here.
    const res = await fetch(`${ui.match[1]}/api/traces?service=x`, {
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(res.status, 502);
    const body = (await res.json()) as JaegerResponse<null>;
    assert.equal(body.errors?.[0]?.error, 'JAEGER_UNREACHABLE');
    assert.match(body.errors[0].msg, /did not answer within \d+ ms/);
    assert.ok(sockets.length > 0, 'the proxy did reach the silent server');
  });
});

describe('tracelab ui command line', () => {
  test('--help names its flags', async () => {
    const r = await runCli(['ui', '--help']);
    assert.equal(r.code, 0);
    for (const text of [
      '--jaeger',
      '--port',
      '--host',
      'TRACELAB_JAEGER_URL',
      '16687',
      '127.0.0.1',
    ]) {
      assert.ok(r.stdout.includes(text), `--help mentions ${text}`);
    }
  });

  test('a missing or bad --jaeger URL is refused with a message and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--jaeger is required/],
      [['--jaeger', 'not a url'], /--jaeger: "not a url" is not a URL/],
      [['--jaeger', 'ftp://host:16686'], /must be an http:\/\/ or https:\/\/ URL/],
      [['--jaeger', 'http://host:16686/?x=1'], /without \?query/],
      [['--jaeger', 'http://host:16686', '--port', '70000'], /--port: must be a port number/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['ui', ...args], { timeoutMs: 10_000 });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('a port already taken is refused with a message and exit 2', async (t) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const { port } = taken.address() as { port: number };
    const r = await runCli(['ui', '--jaeger', 'http://127.0.0.1:16686', '--port', String(port)], {
      timeoutMs: 10_000,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
  });
});
