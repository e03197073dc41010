import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { DatabaseError } from '../../src/database/index.js';
import {
  applyFaultSettings,
  createFaultInjector,
  parseFaultSetting,
} from '../../src/faults/index.js';
import { isDatabaseDown, syncDatabaseFaults } from '../../src/services/inventory/index.js';
import { createLogger } from '../../src/telemetry/logger.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

test('a database away is told apart from a statement that failed', () => {
  const down = [
    new DatabaseError('DB_ERR_UNREACHABLE', 'cannot reach PostgreSQL'),
    new DatabaseError('DB_ERR_POOL_TIMEOUT', 'no connection in time'),
    coded('ECONNREFUSED'),
    coded('57P01', 'terminating connection due to administrator command'),
    coded('08006'),
    new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('wrapped'), { cause: coded('ECONNRESET') }),
  ];
  for (const err of down) assert.equal(isDatabaseDown(err), true, err.message);
  const notDown = [
    new DatabaseError('DB_ERR_QUERY', 'syntax error'),
    coded('23505', 'duplicate key'),
    coded('40P01', 'deadlock detected'),
    new Error('something else'),
    'ECONNREFUSED',
  ];
  for (const err of notDown) assert.equal(isDatabaseDown(err), false, String(err));
});

/** A span that keeps its attributes, to read what the injector marked. */
function recordingSpan(): Span & { attributes: Record<string, unknown> } {
  const attributes: Record<string, unknown> = {};
  const span = trace.wrapSpanContext({
    traceId: '1'.repeat(32),
    spanId: '1'.repeat(16),
    traceFlags: 1,
  });
  const recording: Span & { attributes: Record<string, unknown> } = Object.assign(span, {
    attributes,
    setAttribute(key: string, value: unknown) {
      attributes[key] = value;
      return recording;
    },
  });
  return recording;
}

test("inventory's database faults in force, each marked on the span", () => {
  const base = applyFaultSettings(
    {},
    ['inventory.n_plus_one=12', 'inventory.lock=on', 'inventory.latency=5ms'].map(
      parseFaultSetting,
    ),
  );
  const faults = createFaultInjector({ service: 'inventory', base });
  const span = recordingSpan();
  assert.deepEqual(faults.databaseFaults(span), { nPlusOne: 12, hotRowLock: true });
  assert.equal(span.attributes['tracelab.fault'], 'n_plus_one,lock');
  assert.deepEqual(
    createFaultInjector({ service: 'inventory', base: {} }).databaseFaults(span),
    {},
  );
});

test('the pool and the index follow the switches: set once at start, then on change only', async () => {
  const calls: string[] = [];
  const backend = {
    resizePool: (n: number) => {
      calls.push(`pool ${n}`);
      return Promise.resolve();
    },
    setLookupIndex: (present: boolean) => {
      calls.push(`index ${present}`);
      return Promise.resolve();
    },
  };
  let set = applyFaultSettings({}, []);
  const faults = {
    ...createFaultInjector({ service: 'inventory', base: {} }),
    current: () => set.inventory ?? {},
  };
  const sync = syncDatabaseFaults(
    backend,
    faults,
    { poolSize: 10 },
    createLogger('error', () => undefined),
  );
  try {
    await sync.sync();
    assert.deepEqual(calls, ['index true'], 'the index as the faults say, whatever it was');
    await sync.sync();
    assert.deepEqual(calls, ['index true'], 'nothing changed, nothing done');
    set = applyFaultSettings(
      {},
      ['inventory.db_pool=1', 'inventory.slow_query=on'].map(parseFaultSetting),
    );
    await sync.sync();
    assert.deepEqual(calls.slice(1), ['pool 1', 'index false']);
    set = applyFaultSettings({}, []);
    await sync.sync();
    assert.deepEqual(calls.slice(3), ['pool 10', 'index true']);
  } finally {
    sync.stop();
  }
});

test('latency_share adds the latency to that share of the handlings only, marking those', async () => {
  const base = applyFaultSettings(
    {},
    ['inventory.latency=1ms', 'inventory.latency_share=0.25'].map(parseFaultSetting),
  );
  const draws = [0.1, 0.5, 0.9, 0.2];
  const faults = createFaultInjector({ service: 'inventory', base, random: () => draws.shift()! });
  const marked: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    const span = recordingSpan();
    await faults.beforeStage(span);
    marked.push(span.attributes['tracelab.fault'] ?? null);
  }
  assert.deepEqual(marked, ['latency', null, null, 'latency']);
});
