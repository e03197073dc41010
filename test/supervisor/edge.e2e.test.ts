import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, test } from 'node:test';
import { ON_FREE_PORTS } from '../../src/cli/up-banner.js';
import { runCli } from '../helpers/cli.js';
import { rawRequest } from '../helpers/raw-http.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';
import { startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

/** A non-loopback IPv4 address of this machine, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const portOf = (url: string) => Number(new URL(url).port);

/** Whether a TCP connection to address:port is accepted. */
function connects(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

let sys: RunningSystem;
before(async () => {
  sys = await startSystem([
    '--workload',
    'none',
    '--host',
    '0.0.0.0',
    '--public-host',
    'lab.example',
  ]);
});
after(() => sys.stop());

test('--host 0.0.0.0 opens the API and inventory only: the collector stays on 127.0.0.1, and each warns once', async (t) => {
  assert.match(sys.queryUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(sys.otlpUrl, /^http:\/\/127\.0\.0\.1:\d+\//);
  const warnings = sys.output().match(/has no authentication[^\n]*/g) ?? [];
  assert.equal(warnings.length, 2, sys.output());
  assert.match(
    sys.output(),
    /tracelab: inventory on 0\.0\.0\.0:\d+ has no authentication: anyone who can reach this host can reserve stock/,
  );
  assert.match(
    sys.output(),
    new RegExp(
      `tracelab: the API on 0\\.0\\.0\\.0:${portOf(sys.apiUrl)} has no authentication: anyone who can reach this host can place orders`,
    ),
  );
  if (outsideAddress) {
    assert.equal(await connects(outsideAddress, portOf(sys.queryUrl)), false, 'query port');
    assert.equal(await connects(outsideAddress, portOf(sys.otlpUrl)), false, 'OTLP port');
    const health = await rawRequest(`http://${outsideAddress}:${portOf(sys.apiUrl)}/health`);
    assert.equal(health.status, 200, health.body);
  } else {
    t.skip(
      'this machine has no address beyond loopback: the binding is checked by the banner only',
    );
  }
});

test('a forged Host gets 421 from the API and the collector; --public-host names one they answer to', async () => {
  const targets = [`${sys.apiUrl}/health`, `${sys.queryUrl}/api/services`, `${sys.otlpUrl}`];
  for (const url of targets) {
    const forged = await rawRequest(url, {
      method: url === sys.otlpUrl ? 'POST' : 'GET',
      headers: { host: 'attacker.example', 'content-type': 'application/json' },
      body: url === sys.otlpUrl ? '{"resourceSpans":[]}' : undefined,
    });
    assert.equal(forged.status, 421, `${url}: ${forged.body}`);
    const body = JSON.parse(forged.body) as Record<string, unknown>;
    assert.equal(body.code, 'ERR_UNKNOWN_HOST');
    assert.equal(body.statusCode, 421);
    assert.match(String(body.message), /--public-host/);
    assert.equal(forged.headers['x-content-type-options'], 'nosniff');

    const named = await rawRequest(url, {
      method: url === sys.otlpUrl ? 'POST' : 'GET',
      headers: { host: 'lab.example', 'content-type': 'application/json' },
      body: url === sys.otlpUrl ? '{"resourceSpans":[]}' : undefined,
    });
    assert.equal(named.status, 200, `${url}: ${named.body}`);
  }
});

test('the API says nosniff on its answers, errors included', async () => {
  for (const [method, path] of [
    ['GET', '/health'],
    ['GET', '/order/00000000-0000-4000-8000-000000000000'],
    ['GET', '/nowhere'],
  ] as const) {
    const res = await fetch(`${sys.apiUrl}${path}`, { method });
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${method} ${path}`);
  }
  // The order route keeps its own rule: JSON or 415.
  const text = await fetch(`${sys.apiUrl}/order`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: '{"item":"x","quantity":1}',
  });
  assert.equal(text.status, 415, await text.text());
});

test('the admin endpoint refuses a change that is not JSON, or from another site, or to another Host', async () => {
  const faults = `${sys.adminUrl}/faults`;
  const before = await rawRequest(faults);
  assert.equal(before.status, 200);
  const set = JSON.stringify({ set: ['processing.crash=1'] });
  const cases: Array<[Record<string, string>, string, number, string, RegExp]> = [
    [{ 'content-type': 'text/plain' }, 'POST', 403, 'ERR_CONTENT_TYPE', /must be sent as JSON/],
    [
      { 'content-type': 'application/x-www-form-urlencoded' },
      'POST',
      403,
      'ERR_CONTENT_TYPE',
      /Content-Type: application\/json/,
    ],
    [
      { 'content-type': 'application/json', origin: 'http://attacker.example' },
      'POST',
      403,
      'ERR_CROSS_SITE',
      /Origin "http:\/\/attacker\.example" is not this lab/,
    ],
    [{ origin: 'null' }, 'DELETE', 403, 'ERR_CROSS_SITE', /Origin "null"/],
    [
      { 'content-type': 'application/json', host: 'attacker.example' },
      'POST',
      421,
      'ERR_UNKNOWN_HOST',
      /Host "attacker\.example"/,
    ],
    [{ host: 'attacker.example' }, 'GET', 421, 'ERR_UNKNOWN_HOST', /on this machine only/],
  ];
  for (const [headers, method, status, code, message] of cases) {
    const res = await rawRequest(faults, {
      method,
      headers,
      body: method === 'POST' ? set : undefined,
    });
    const what = `${method} ${JSON.stringify(headers)}`;
    assert.equal(res.status, status, `${what}: ${res.body}`);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(body.statusCode, status, what);
    assert.equal(body.code, code, what);
    assert.match(String(body.message), message, what);
  }
  const unchanged = await rawRequest(faults);
  assert.deepEqual(JSON.parse(unchanged.body), JSON.parse(before.body), 'no fault switched');

  // The lab's own client sends JSON with no Origin, and goes through.
  const setByCli = await runCli([
    'fault',
    'set',
    'notification.latency=5ms',
    '--admin-url',
    sys.adminUrl,
  ]);
  assert.equal(setByCli.code, 0, setByCli.stderr);
  const after = JSON.parse((await rawRequest(faults)).body) as { runtime: string[] };
  assert.ok(
    after.runtime.some((f) => f.startsWith('notification.latency')),
    JSON.stringify(after),
  );
  const cleared = await runCli(['fault', 'clear', '--admin-url', sys.adminUrl]);
  assert.equal(cleared.code, 0, cleared.stderr);
});

async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** ON_FREE_PORTS with one flag given a taken port. */
const withTaken = (flag: string, port: number) =>
  ON_FREE_PORTS.map((v, i) => (ON_FREE_PORTS[i - 1] === flag ? String(port) : v));

test('up on a taken collector or API port names the flag to change', async () => {
  const taken = await takenPort();
  try {
    for (const flag of ['--otlp-port', '--http-port', '--api-port']) {
      const keyPrefix = `tltest-${randomUUID().slice(0, 8)}:`;
      const r = await runCli(
        [
          'up',
          ...withTaken(flag, taken.port),
          '--key-prefix',
          keyPrefix,
          '--redis-url',
          REDIS_URL,
          '--workload',
          'none',
        ],
        { timeoutMs: 90_000, env: { NO_COLOR: '1' } },
      );
      await deleteKeys(keyPrefix);
      assert.notEqual(r.code, 0, flag);
      assert.match(
        `${r.stdout}${r.stderr}`,
        new RegExp(
          `cannot listen on 127\\.0\\.0\\.1:${taken.port}: EADDRINUSE; give another ${flag}, or 0 for any`,
        ),
        flag,
      );
    }
  } finally {
    await taken.release();
  }
});
