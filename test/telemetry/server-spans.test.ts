import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { nameServerSpansAfterRoutes, tracedServer } from '../../src/services/api/traced-server.js';
import { HOUSEKEEPING_HEADER } from '../../src/telemetry/index.js';
import { registeredTracing } from '../helpers/sdk-tracing.js';

const { exporter } = registeredTracing();
let app: FastifyInstance;
let base: string;
/** The span active in the route handler, after the body was read. */
let activeInHandler: string | undefined;

before(async () => {
  app = Fastify({ serverFactory: tracedServer(trace.getTracer('test')), logger: false });
  nameServerSpansAfterRoutes(app);
  app.post<{ Params: { id: string } }>('/things/:id', (request, reply) => {
    activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
    void reply.send({ id: request.params.id, body: request.body });
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/health', (_request, reply) => {
    // What a health check does (a store read, say) is not traced either.
    trace.getTracer('test').startSpan('inside health').end();
    void reply.send({ ok: true });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(() => app.close());

const finished = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);

test('a request is a SERVER span, child of its traceparent, named after its route, active while the handler runs', async () => {
  exporter.reset();
  const res = await fetch(`${base}/things/42?x=1`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'user-agent': 'the-test',
    },
    body: JSON.stringify({ a: 1 }),
  });
  assert.equal(res.status, 200);
  await res.json();
  const [span, ...more] = finished();
  assert.ok(span, 'a server span');
  assert.equal(more.length, 0);
  assert.equal(span.name, 'POST /things/:id');
  assert.equal(span.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(span.parentSpanContext?.spanId, 'b7ad6b7169203331');
  assert.equal(activeInHandler, span.spanContext().spanId);
  assert.deepEqual(span.attributes, {
    'http.request.method': 'POST',
    'http.route': '/things/:id',
    'http.response.status_code': 200,
    'url.path': '/things/42',
    'url.scheme': 'http',
    'server.address': '127.0.0.1',
    'server.port': Number(new URL(base).port),
    'client.address': '127.0.0.1',
    'network.protocol.version': '1.1',
    'user_agent.original': 'the-test',
  });
  assert.equal(span.status.code, SpanStatusCode.UNSET);
});

test("a 5xx is the server's error, a 4xx the client's", async () => {
  exporter.reset();
  assert.equal((await fetch(`${base}/boom`)).status, 500);
  assert.equal((await fetch(`${base}/nowhere`)).status, 404);
  const [boom, nowhere] = finished();
  assert.equal(boom?.name, 'GET /boom');
  assert.equal(boom?.status.code, SpanStatusCode.ERROR);
  assert.equal(boom?.attributes['error.type'], '500');
  // No route matched: the span keeps the method alone, as the conventions say.
  assert.equal(nowhere?.name, 'GET');
  assert.equal(nowhere?.attributes['http.response.status_code'], 404);
  assert.equal(nowhere?.status.code, SpanStatusCode.UNSET);
});

test('health checks and the lab’s housekeeping are not traced', async () => {
  exporter.reset();
  await (await fetch(`${base}/health`)).text();
  await (
    await fetch(`${base}/things/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HOUSEKEEPING_HEADER]: 'load' },
      body: '{}',
    })
  ).text();
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => s.name),
    [],
  );
});
