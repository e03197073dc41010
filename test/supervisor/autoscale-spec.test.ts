import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAutoscale, withinBounds } from '../../src/supervisor/autoscale-spec.js';
import { backlogOf, startAutoscaler } from '../../src/supervisor/autoscaler.js';
import { waitFor } from '../helpers/wait.js';
import { parseAutoscaleOff, parseAutoscaleRequest } from '../../src/supervisor/run-controls.js';
import type { ReplicaControl } from '../../src/supervisor/scale.js';

test('--autoscale entries: consumers only, MIN..MAX from 1 to 32, MIN not above MAX', () => {
  assert.deepEqual(parseAutoscale(['processing=1..3', 'analytics=2..2']), {
    processing: { min: 1, max: 3 },
    analytics: { min: 2, max: 2 },
  });
  const refused: Array<[string, RegExp]> = [
    ['processing=3', /expected SERVICE=MIN\.\.MAX/],
    ['api=1..2', /cannot autoscale "api": one of processing, notification, analytics/],
    ['inventory=1..2', /cannot autoscale "inventory"/],
    ['processing=0..2', /from 1 to 32, got 0\.\.2/],
    ['processing=1..33', /from 1 to 32, got 1\.\.33/],
    ['processing=3..2', /MIN 3 is above MAX 2/],
  ];
  for (const [entry, message] of refused) {
    assert.throws(() => parseAutoscale([entry]), { code: 'SUP_ERR_BAD_AUTOSCALE', message });
  }
});

test('up starts an autoscaled service within its bounds', () => {
  const replicas = { api: 1, processing: 1, notification: 5, analytics: 1, inventory: 1, audit: 0 };
  assert.deepEqual(
    withinBounds(replicas, { processing: { min: 2, max: 3 }, notification: { min: 1, max: 2 } }),
    { ...replicas, processing: 2, notification: 2 },
  );
});

test('POST /autoscale bodies and DELETE ?service: each refusal a coded 400', () => {
  assert.deepEqual(parseAutoscaleRequest({ service: 'processing', min: 1, max: 4 }), {
    service: 'processing',
    bounds: { min: 1, max: 4 },
  });
  const refused: Array<[unknown, string]> = [
    [null, 'ERR_BAD_REQUEST'],
    [{ min: 1, max: 2 }, 'ERR_BAD_REQUEST'],
    [{ service: 'api', min: 1, max: 2 }, 'ERR_NOT_AUTOSCALABLE'],
    [{ service: 'processing', min: 1.5, max: 2 }, 'ERR_BAD_BOUNDS'],
    [{ service: 'processing', min: 3, max: 2 }, 'ERR_BAD_BOUNDS'],
    [{ service: 'processing', min: '1', max: 2 }, 'ERR_BAD_BOUNDS'],
  ];
  for (const [body, code] of refused) {
    assert.throws(() => parseAutoscaleRequest(body), { statusCode: 400, code });
  }
  assert.deepEqual(
    parseAutoscaleRequest({ service: 'processing', min: 1, max: 3, lag: 4, windowMs: 6000 }),
    { service: 'processing', bounds: { min: 1, max: 3 }, tuning: { lag: 4, windowMs: 6000 } },
  );
  for (const tuning of [{ lag: -1 }, { lag: 2.5 }, { windowMs: '5s' }, { windowMs: 700_000 }]) {
    assert.throws(
      () => parseAutoscaleRequest({ service: 'processing', min: 1, max: 2, ...tuning }),
      {
        statusCode: 400,
        code: 'ERR_BAD_AUTOSCALE_TUNING',
      },
    );
  }
  assert.equal(parseAutoscaleOff(null), undefined);
  assert.equal(parseAutoscaleOff('notification'), 'notification');
  assert.throws(() => parseAutoscaleOff('api'), { statusCode: 400, code: 'ERR_NOT_AUTOSCALABLE' });
});

test("a service's backlog: its own group on its own topic, undelivered plus pending, partitions summed", () => {
  const lag = [
    { group: 'processing-service', topic: 'orders', partition: 0, lag: 30, pending: 2 },
    { group: 'processing-service', topic: 'orders', partition: 1, lag: 10 },
    { group: 'notification-service', topic: 'processed-orders', lag: 99, pending: 1 },
    { group: 'audit', topic: 'orders', lag: 500 },
  ];
  assert.equal(backlogOf(lag, 'processing'), 42);
  assert.equal(backlogOf(lag, 'notification'), 100);
  assert.equal(backlogOf(lag, 'analytics'), 0);
});

/** A replica control where only processing's count moves: read and set through the test's own. */
function processingReplicas(count: () => number, set: (n: number) => void): ReplicaControl {
  const all = () => ({
    api: 1,
    processing: count(),
    notification: 1,
    analytics: 1,
    inventory: 1,
    audit: 0,
  });
  return {
    current: all,
    scale: (_kind, n) => {
      set(n);
      return Promise.resolve(all());
    },
  };
}

test('the loop scales through the replica control, keeps and logs each event, and stops', async () => {
  let clock = 0;
  let processing = 1;
  let backlog = 400;
  const scaled: number[] = [];
  const logged: string[] = [];
  const autoscaler = startAutoscaler({
    settings: { lag: 50, windowMs: 2000, idleMs: 2000, cooldownMs: 0 },
    bounds: { processing: { min: 1, max: 2 } },
    replicas: processingReplicas(
      () => processing,
      (n) => {
        scaled.push(n);
        processing = n;
      },
    ),
    readLag: () =>
      Promise.resolve([{ group: 'processing-service', topic: 'orders', lag: backlog }]),
    log: (line) => logged.push(line),
    intervalMs: 1,
    // Each sample a second later than the last.
    now: () => (clock += 1000),
  });
  try {
    await waitFor('scaled up', () => (processing === 2 ? true : undefined));
    backlog = 0;
    await waitFor('scaled down', () => (processing === 1 ? true : undefined));
    const view = autoscaler.view();
    assert.deepEqual(
      view.events.map((e) => [e.service, e.from, e.to]),
      [
        ['processing', 1, 2],
        ['processing', 2, 1],
      ],
    );
    assert.equal(view.events[0]!.backlog, 400);
    assert.match(logged[0]!, /^scaled processing 1 → 2 replicas: backlog 400 above 50 for 2\.0 s$/);
    assert.deepEqual(autoscaler.off('processing').services, {});
  } finally {
    autoscaler.stop();
  }
  assert.deepEqual(scaled, [2, 1]);
});

test("a service's own threshold and window rule it over the flags', until it is set again or off", async () => {
  let clock = 0;
  let processing = 1;
  const autoscaler = startAutoscaler({
    // The flags' threshold is never reached by a backlog of 8.
    settings: { lag: 50, windowMs: 60_000, idleMs: 60_000, cooldownMs: 0 },
    bounds: {},
    replicas: processingReplicas(
      () => processing,
      (n) => (processing = n),
    ),
    readLag: () => Promise.resolve([{ group: 'processing-service', topic: 'orders', lag: 8 }]),
    log: () => undefined,
    intervalMs: 1,
    now: () => (clock += 1000),
  });
  try {
    const view = autoscaler.set('processing', { min: 1, max: 2 }, { lag: 5, windowMs: 3000 });
    assert.deepEqual(view.tuning, { processing: { lag: 5, windowMs: 3000 } });
    await waitFor('scaled up on its own threshold', () => (processing === 2 ? true : undefined));
    assert.match(autoscaler.view().events[0]!.reason, /^backlog 8 above 5 for 3\.0 s$/);
    assert.deepEqual(autoscaler.set('processing', { min: 1, max: 2 }).tuning, {});
    autoscaler.set('processing', { min: 1, max: 2 }, { lag: 1 });
    assert.deepEqual(autoscaler.off('processing').tuning, {});
  } finally {
    autoscaler.stop();
  }
});
