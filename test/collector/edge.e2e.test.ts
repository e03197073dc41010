import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { buildJaegerProxy, startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import { allowedHostNames } from '../../src/http-guard/index.js';
import { runCli } from '../helpers/cli.js';
import { rawRequest } from '../helpers/raw-http.js';
import { otlpJson, send, spanIdOf, traceIdOf, traceIds } from './otlp-fixtures.js';

let collector: RunningCollector;
before(async () => {
  collector = await startCollector({
    otlpPort: 0,
    httpPort: 0,
    publicHosts: ['lab.example'],
    onWarning: () => undefined,
  });
  await send(collector.otlpUrl, [{ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'shop' }]);
});
after(() => collector.close());

const portOf = (url: string) => new URL(url).port;

function assertRefused(
  res: { status: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  assert.equal(res.status, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const body = JSON.parse(res.body) as Record<string, unknown>;
  assert.equal(body.statusCode, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.message, 'string');
  return body;
}

test('a rebound name reads nothing from the query port: 421, no trace in the answer', async () => {
  const paths = ['/api/services', `/api/traces/${traceIdOf(1)}`, '/api/traces?service=shop'];
  for (const path of paths) {
    const res = await rawRequest(`${collector.queryUrl}${path}`, {
      headers: { host: `attacker.example:${portOf(collector.queryUrl)}` },
    });
    const body = assertRefused(res, 421, 'ERR_UNKNOWN_HOST');
    assert.match(
      String(body.message),
      /Host "attacker\.example:\d+" is not a name this lab serves/,
    );
    assert.doesNotMatch(res.body, /shop|abcdef/, path);
  }
  // *.localhost resolves to loopback in browsers, but it is another site.
  const sub = await rawRequest(`${collector.queryUrl}/api/services`, {
    headers: { host: 'evil.localhost' },
  });
  assertRefused(sub, 421, 'ERR_UNKNOWN_HOST');
});

test('the names the collector serves read the traces, with nosniff', async () => {
  for (const host of ['localhost', '127.0.0.1', '[::1]', 'lab.example', 'LAB.example.']) {
    const res = await rawRequest(`${collector.queryUrl}/api/services`, {
      headers: { host: `${host}:${portOf(collector.queryUrl)}` },
    });
    assert.equal(res.status, 200, `${host}: ${res.body}`);
    assert.deepEqual((JSON.parse(res.body) as { data: string[] }).data, ['shop']);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
});

test('the OTLP port stores nothing for a rebound name or another site’s page', async () => {
  const body = otlpJson([{ traceId: traceIdOf(2), spanId: spanIdOf(1), service: 'forged' }]);
  const forgedHost = await rawRequest(collector.otlpUrl, {
    method: 'POST',
    headers: { host: 'attacker.example', 'content-type': 'application/json' },
    body,
  });
  assertRefused(forgedHost, 421, 'ERR_UNKNOWN_HOST');
  const foreignOrigin = await rawRequest(collector.otlpUrl, {
    method: 'POST',
    headers: {
      host: `127.0.0.1:${portOf(collector.otlpUrl)}`,
      origin: 'http://attacker.example',
      'content-type': 'application/json',
    },
    body,
  });
  const refused = assertRefused(foreignOrigin, 403, 'ERR_CROSS_SITE');
  assert.match(String(refused.message), /Origin "http:\/\/attacker\.example" is not this lab/);
  assert.deepEqual(await traceIds(collector.queryUrl, [traceIdOf(2)]), [], 'nothing stored');
  // The lab's own exporters send no Origin, and are taken.
  const own = await rawRequest(collector.otlpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  assert.equal(own.status, 200, own.body);
  assert.equal(own.headers['x-content-type-options'], 'nosniff');
  assert.deepEqual(await traceIds(collector.queryUrl, [traceIdOf(2)]), [traceIdOf(2)]);
});

async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('tracelab collector on a taken port says which flag to change, and exits 2', async () => {
  const taken = await takenPort();
  try {
    for (const [flag, other] of [
      ['--otlp-port', '--http-port'],
      ['--http-port', '--otlp-port'],
    ] as const) {
      const r = await runCli(['collector', flag, String(taken.port), other, '0'], {
        timeoutMs: 15_000,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `cannot listen on 127\\.0\\.0\\.1:${taken.port}: EADDRINUSE; give another ${flag}, or 0 for any`,
        ),
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  } finally {
    await taken.release();
  }
});

test('a refused request that sent half its body does not hold the connection open', async () => {
  const started = Date.now();
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(portOf(collector.otlpUrl)), '127.0.0.1', () =>
      socket.write(
        'POST /v1/traces HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"resourceSpans":',
      ),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(new Error('still open after 5 s')), 5000).unref();
  });
  assert.match(answer, /^HTTP\/1\.1 421 /);
  assert.ok(Date.now() - started < 5000);
});

test('tracelab ui, the proxy to a real Jaeger, answers a rebound name with 421 and forwards nothing', async () => {
  let forwarded = 0;
  const jaeger = createHttpServer((_req, res) => {
    forwarded++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"data":["secret-shop"],"total":1,"limit":0,"offset":0,"errors":null}');
  });
  await new Promise<void>((resolve) => jaeger.listen(0, '127.0.0.1', resolve));
  const { port } = jaeger.address() as { port: number };
  const proxy = buildJaegerProxy({
    jaeger: new URL(`http://127.0.0.1:${port}`),
    allowedHosts: allowedHostNames({ bindHost: '127.0.0.1', publicHosts: ['lab.example'] }),
  });
  try {
    const rebound = await proxy.inject({
      url: '/api/services',
      headers: { host: 'attacker.example' },
    });
    assert.equal(rebound.statusCode, 421, rebound.body);
    assert.equal(rebound.headers['x-content-type-options'], 'nosniff');
    assert.equal(forwarded, 0);
    const named = await proxy.inject({
      url: '/api/services',
      headers: { host: 'lab.example:16687' },
    });
    assert.equal(named.statusCode, 200, named.body);
    assert.equal(forwarded, 1);
  } finally {
    await proxy.close();
    await new Promise<void>((resolve) => jaeger.close(() => resolve()));
  }
});
