import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import { getTrace, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { rawRequest } from '../helpers/raw-http.js';
import { REDIS_URL } from '../helpers/redis.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

/*
 * up's admin endpoint switching intensities and replica counts while the lab runs: a real
 * `tracelab up`, its real services, the CLI as a user runs it.
 */

const env = { TRACELAB_ADMIN_URL: '' };
let sys: RunningSystem;

before(async () => {
  sys = await startSystem();
});
after(() => sys?.stop());

const cli = (...args: string[]) => runCli([...args, '--admin-url', sys.adminUrl], { env });

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sys.adminUrl}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Places `n` orders at once; resolves once all are complete, with their traces whole. */
async function ordersThrough(n: number, ok: (t: JaegerTrace) => boolean): Promise<JaegerTrace[]> {
  const accepted = await Promise.all(
    Array.from({ length: n }, (_, i) => postOrder(sys.apiUrl, { item: `rt-${i}`, quantity: 1 })),
  );
  await waitForCompleted(
    sys.apiUrl,
    accepted.map((a) => a.id),
    60_000,
  );
  return Promise.all(
    accepted.map((a) =>
      waitFor(`trace ${a.traceId}`, async () => {
        const t = await getTrace(sys.queryUrl, a.traceId);
        return t && ok(t) ? t : undefined;
      }),
    ),
  );
}

const spansOf = (t: JaegerTrace, service: string) =>
  t.spans.filter((s) => serviceOf(t, s) === service);
const hasStage = (stage: string) => (t: JaegerTrace) =>
  t.spans.some((s) => s.operationName === stage);
/** The process ids of a service's spans in these traces. */
const pidsOf = (traces: readonly JaegerTrace[], service: string) =>
  new Set(
    traces.flatMap((t) =>
      spansOf(t, service).map((s) => Number(tag(t.processes[s.processID]!, 'process.pid'))),
    ),
  );

test('changes are refused without the lab’s Host, from another site, or not as JSON', async () => {
  const body = JSON.stringify({ service: 'processing', intensity: 'severe' });
  const host = new URL(sys.adminUrl).host;
  const cases: [Record<string, string>, number, string][] = [
    [{ host: 'attacker.example', 'content-type': 'application/json' }, 421, 'ERR_UNKNOWN_HOST'],
    [
      { host, origin: 'http://evil.example', 'content-type': 'application/json' },
      403,
      'ERR_CROSS_SITE',
    ],
    [{ host, 'content-type': 'text/plain' }, 403, 'ERR_CONTENT_TYPE'],
  ];
  for (const path of ['/intensities', '/replicas']) {
    for (const [headers, status, code] of cases) {
      const res = await rawRequest(`${sys.adminUrl}${path}`, { method: 'POST', headers, body });
      assert.equal(res.status, status, `${path} ${JSON.stringify(headers)}`);
      assert.equal((JSON.parse(res.body) as { code: string }).code, code);
    }
  }
  // Nothing was switched.
  assert.equal(
    ((await admin('GET', '/intensities')).body.intensities as Record<string, unknown>).processing,
    null,
  );
});

test('bad input gets a coded 400 in the lab’s JSON shape', async () => {
  const cases: [string, unknown, string][] = [
    ['/intensities', { service: 'billing', intensity: 'heavy' }, 'ERR_UNKNOWN_SERVICE'],
    ['/intensities', { service: 'processing', intensity: 'extreme' }, 'ERR_BAD_INTENSITY'],
    ['/intensities', { service: 'processing' }, 'ERR_BAD_REQUEST'],
    ['/replicas', { service: 'notification', replicas: 33 }, 'ERR_REPLICAS_OUT_OF_RANGE'],
    ['/replicas', { service: 'notification', replicas: 0 }, 'ERR_REPLICAS_OUT_OF_RANGE'],
    ['/replicas', { service: 'api', replicas: 2 }, 'ERR_NOT_SCALABLE'],
    ['/replicas', { service: 'mail', replicas: 2 }, 'ERR_UNKNOWN_SERVICE'],
  ];
  for (const [path, body, code] of cases) {
    const res = await admin('POST', path, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.deepEqual(Object.keys(res.body).sort(), ['code', 'error', 'message', 'statusCode']);
    assert.equal(res.body.code, code);
    assert.equal(res.body.statusCode, 400);
  }
  const bad = await cli('intensity', 'processing=extreme');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no intensity "extreme": one of light, medium, heavy, severe/);
  const tooMany = await cli('scale', 'notification=33');
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.stderr, /notification replicas must be from 1 to 32, got 33/);
});

test('processing switched to heavy at run time: the next orders’ workload spans run heavy', async () => {
  const set = await cli('intensity', 'processing=heavy');
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /processing\s+heavy\s+\(switched at run time\)/);
  // Services read the switch every second.
  await new Promise((r) => setTimeout(r, 1500));
  const traces = await ordersThrough(3, hasStage('process_order'));
  const intensities = traces.flatMap((t) =>
    spansOf(t, 'processing-service')
      .map((s) => tag(s, 'workload.intensity'))
      .filter((v) => v !== undefined),
  );
  // Two steps each: six draws from a mix of medium, heavy and severe would rarely all be heavy.
  assert.equal(intensities.length, 6);
  assert.deepEqual(new Set(intensities), new Set(['heavy']));

  const off = await cli('intensity', 'processing=off', '--json');
  assert.equal(off.code, 0, off.stderr);
  const view = JSON.parse(off.stdout) as { intensities: Record<string, string | null> };
  assert.equal(view.intensities.processing, null);
});

test('notification scaled 1 → 2 → 1: two process ids, then one; no order lost', async () => {
  // Each notification takes 300 ms, so neither replica reads ahead of the other.
  assert.equal(
    (await admin('POST', '/faults', { set: ['notification.latency=300ms'] })).status,
    200,
  );
  const first = sys.pid('notification-service');

  const up = await cli('scale', 'notification=2');
  assert.equal(up.code, 0, up.stderr);
  assert.equal(
    up.stdout,
    'replicas: api 1, processing 1, notification 2, analytics 1, inventory 1\n',
  );
  await new Promise((r) => setTimeout(r, 1500));
  const pids = await waitFor(
    'orders handled by both notification replicas',
    async () => {
      const seen = pidsOf(await ordersThrough(4, hasStage('notify_order')), 'notification-service');
      return seen.size === 2 ? seen : undefined;
    },
    90_000,
    0,
  );
  assert.ok(pids.has(first), `replica 1 (${first}) among ${[...pids].join(', ')}`);

  // Orders in flight while the second replica stops: every one completes.
  const inFlight = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      postOrder(sys.apiUrl, { item: `flight-${i}`, quantity: 1 }),
    ),
  );
  const down = await cli('scale', 'notification=1');
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual((await admin('GET', '/replicas')).body, {
    replicas: { api: 1, processing: 1, notification: 1, analytics: 1, inventory: 1 },
  });
  await waitForCompleted(
    sys.apiUrl,
    inFlight.map((a) => a.id),
    90_000,
  );
  const after = pidsOf(await ordersThrough(4, hasStage('notify_order')), 'notification-service');
  assert.deepEqual([...after], [first]);
  // The stopped replica's consumer left its group, holding nothing.
  const redis = new Redis(REDIS_URL);
  try {
    const consumers = (await redis.call(
      'XINFO',
      'CONSUMERS',
      `${sys.keyPrefix}processed-orders`,
      'notification-service',
    )) as unknown[][];
    assert.deepEqual(
      consumers.map((c) => String(c[1]).replace(/-[0-9a-f]{8}$/, '')),
      ['notification-service-1'],
    );
  } finally {
    redis.disconnect();
  }
  assert.equal((await admin('DELETE', '/faults')).status, 200);
});
