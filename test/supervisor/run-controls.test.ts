import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceKind } from '../../src/model/index.js';
import type { SupervisedChild } from '../../src/supervisor/child.js';
import { createReplicaControl } from '../../src/supervisor/replicas.js';
import {
  intensitiesView,
  parseIntensityRequest,
  parseReplicasRequest,
} from '../../src/supervisor/run-controls.js';

/** The refusal's status and code, or the parsed request. */
function outcome<T>(parse: () => T): T | { statusCode: number; code: string; message: string } {
  try {
    return parse();
  } catch (err) {
    const { statusCode, code, message } = err as {
      statusCode: number;
      code: string;
      message: string;
    };
    return { statusCode, code, message };
  }
}

test('POST /intensities bodies: a service and an intensity or null; each refusal coded', () => {
  assert.deepEqual(parseIntensityRequest({ service: 'processing', intensity: 'heavy' }), {
    service: 'processing',
    intensity: 'heavy',
  });
  assert.deepEqual(parseIntensityRequest({ service: 'api', intensity: null }), {
    service: 'api',
    intensity: null,
  });
  const refusals: [unknown, string, RegExp][] = [
    [null, 'ERR_BAD_REQUEST', /"intensity"/],
    [['processing'], 'ERR_BAD_REQUEST', /"intensity"/],
    [{ service: 'processing' }, 'ERR_BAD_REQUEST', /"intensity"/],
    [{ service: 'billing', intensity: 'heavy' }, 'ERR_UNKNOWN_SERVICE', /no service "billing"/],
    [{ intensity: 'heavy' }, 'ERR_UNKNOWN_SERVICE', /one of api, processing/],
    [{ service: 'processing', intensity: 'huge' }, 'ERR_BAD_INTENSITY', /light, medium/],
    [{ service: 'processing', intensity: 'off' }, 'ERR_BAD_INTENSITY', /or null/],
  ];
  for (const [body, code, message] of refusals) {
    const got = outcome(() => parseIntensityRequest(body)) as { statusCode: number; code: string };
    assert.equal(got.statusCode, 400, JSON.stringify(body));
    assert.equal(got.code, code, JSON.stringify(body));
    assert.match((got as unknown as { message: string }).message, message);
  }
});

test('POST /replicas bodies: a consumer and a whole number from 1 to 32', () => {
  assert.deepEqual(parseReplicasRequest({ service: 'notification', replicas: 3 }), {
    service: 'notification',
    replicas: 3,
  });
  assert.deepEqual(parseReplicasRequest({ service: 'analytics', replicas: 32 }).replicas, 32);
  const refusals: [unknown, string][] = [
    [{ service: 'notification' }, 'ERR_BAD_REQUEST'],
    [{ service: 'mail', replicas: 2 }, 'ERR_UNKNOWN_SERVICE'],
    [{ service: 'api', replicas: 2 }, 'ERR_NOT_SCALABLE'],
    [{ service: 'notification', replicas: '2' }, 'ERR_BAD_REPLICAS'],
    [{ service: 'notification', replicas: 1.5 }, 'ERR_BAD_REPLICAS'],
    [{ service: 'notification', replicas: 0 }, 'ERR_REPLICAS_OUT_OF_RANGE'],
    [{ service: 'notification', replicas: 33 }, 'ERR_REPLICAS_OUT_OF_RANGE'],
  ];
  for (const [body, code] of refusals) {
    const got = outcome(() => parseReplicasRequest(body)) as { statusCode: number; code: string };
    assert.deepEqual([got.statusCode, got.code], [400, code], JSON.stringify(body));
  }
});

test('GET /intensities: the run-time switch wins over the flags; null where the mix decides', () => {
  assert.deepEqual(
    intensitiesView({ processing: 'light', analytics: 'medium' }, { processing: 'heavy' }),
    {
      intensities: {
        api: null,
        processing: 'heavy',
        notification: null,
        analytics: 'medium',
        inventory: null,
        audit: null,
      },
      flags: {
        api: null,
        processing: 'light',
        notification: null,
        analytics: 'medium',
        inventory: null,
        audit: null,
      },
      runtime: {
        api: null,
        processing: 'heavy',
        notification: null,
        analytics: null,
        inventory: null,
        audit: null,
      },
    },
  );
});

/** A child that only records being stopped. */
function fakeChild(label: string, log: string[]): SupervisedChild {
  return {
    label,
    pid: () => undefined,
    ready: { type: 'ready' } as unknown as SupervisedChild['ready'],
    stop: () => {
      log.push(`stop ${label}`);
      return Promise.resolve();
    },
  };
}

test('scaling starts the next replicas, then stops the last ones and hands each over once stopped', async () => {
  const log: string[] = [];
  const running = new Map<ServiceKind, SupervisedChild[]>([
    ['api', [fakeChild('api', log)]],
    ['processing', [fakeChild('processing#1', log)]],
    ['notification', [fakeChild('notification#1', log)]],
    ['analytics', [fakeChild('analytics#1', log)]],
  ]);
  const control = createReplicaControl({
    running,
    start: (kind, replica) => {
      log.push(`start ${kind}#${replica}`);
      return Promise.resolve(fakeChild(`${kind}#${replica}`, log));
    },
    retired: (kind, replica) => {
      log.push(`hand over ${kind}#${replica}`);
      return Promise.resolve();
    },
    isStopping: () => false,
  });
  assert.deepEqual(control.current(), { api: 1, processing: 1, notification: 1, analytics: 1 });
  // Asked at once, done in the order asked.
  const [up, down] = await Promise.all([
    control.scale('notification', 3),
    control.scale('notification', 1),
  ]);
  assert.equal(up.notification, 3);
  assert.equal(down.notification, 1);
  assert.deepEqual(log.slice(0, 2).sort(), ['start notification#2', 'start notification#3']);
  // Each leaving replica is handed over only after it has stopped.
  const rest = log.slice(2);
  for (const n of [2, 3]) {
    assert.ok(
      rest.indexOf(`stop notification#${n}`) < rest.indexOf(`hand over notification#${n}`),
      rest.join(', '),
    );
  }
  assert.equal(running.get('notification')!.length, 1);
  assert.equal(running.get('notification')![0]!.label, 'notification#1');
});

test('no replica starts once the lab is stopping', async () => {
  const running = new Map<ServiceKind, SupervisedChild[]>([['notification', []]]);
  const control = createReplicaControl({
    running,
    start: () => Promise.reject(new Error('started a replica while stopping')),
    retired: () => Promise.resolve(),
    isStopping: () => true,
  });
  await assert.rejects(control.scale('notification', 2), /the lab is stopping/);
});
