import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultSchedule, parseScheduleSpec } from '../../src/supervisor/fault-schedule.js';
import { applyFaultSettings, describeFaults, parseFaultSetting } from '../../src/faults/index.js';

test('fault settings read as a user writes them', () => {
  const cases: [string, unknown][] = [
    ['processing.crash=0.05', { service: 'processing', kind: 'crash', value: 0.05 }],
    ['notification.latency=2s', { service: 'notification', kind: 'latency', value: 2000 }],
    ['notification.latency=250ms', { service: 'notification', kind: 'latency', value: 250 }],
    ['analytics.error=0.1', { service: 'analytics', kind: 'error', value: 0.1 }],
    ['processing.leak=1MB', { service: 'processing', kind: 'leak', value: 1024 ** 2 }],
    ['api.duplicate=10', { service: 'api', kind: 'duplicate', value: 10 }],
    ['processing.crash=off', { service: 'processing', kind: 'crash', value: 0 }],
    ['processing.propagation=drop', { service: 'processing', kind: 'propagation', value: 1 }],
    ['api.propagation=off', { service: 'api', kind: 'propagation', value: 0 }],
    ['inventory.crash=0.1', { service: 'inventory', kind: 'crash', value: 0.1 }],
    ['inventory.n_plus_one=20', { service: 'inventory', kind: 'n_plus_one', value: 20 }],
    ['inventory.db_pool=1', { service: 'inventory', kind: 'db_pool', value: 1 }],
    ['inventory.slow_query=on', { service: 'inventory', kind: 'slow_query', value: 1 }],
    ['inventory.lock=on', { service: 'inventory', kind: 'lock', value: 1 }],
    ['inventory.lock=off', { service: 'inventory', kind: 'lock', value: 0 }],
    // As the run-time state keeps a switch: its number.
    ['inventory.slow_query=1', { service: 'inventory', kind: 'slow_query', value: 1 }],
    ['inventory.latency_share=0.2', { service: 'inventory', kind: 'latency_share', value: 0.2 }],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseFaultSetting(text), want, text);
});

test('a fault that cannot be read says what was expected', () => {
  const cases: [string, RegExp][] = [
    ['processing', /write <service>\.<kind>=<value>/],
    ['billing.crash=0.1', /no service "billing"/],
    ['processing.explode=1', /no fault "explode"/],
    ['processing.crash=1.5', /crash takes a probability from 0 to 1/],
    ['inventory.latency_share=2', /latency_share takes a probability from 0 to 1/],
    ['notification.latency=fast', /latency takes a duration/],
    ['processing.leak=1XB', /leak takes a size/],
    ['processing.duplicate=3', /use api\.duplicate/],
    ['api.duplicate=2.5', /duplicate takes a whole number/],
    ['processing.propagation=0.5', /propagation takes drop or off/],
    ['processing.propagation=keep', /propagation takes drop or off/],
    ['processing.n_plus_one=5', /use inventory\.n_plus_one/],
    ['inventory.db_pool=2.5', /db_pool takes a whole number/],
    ['inventory.db_pool=500', /db_pool takes a whole number/],
    ['inventory.slow_query=2', /slow_query takes on or off/],
    ['inventory.lock=yes', /lock takes on or off/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseFaultSetting(text), message, text);
});

test('settings apply in order, off removes, and the set reads back as settings', () => {
  const input = { processing: { crash: 0.05 } };
  const set = applyFaultSettings(input, [
    parseFaultSetting('notification.latency=2s'),
    parseFaultSetting('processing.crash=off'),
    parseFaultSetting('processing.leak=1MB'),
  ]);
  assert.deepEqual(set, { notification: { latency: 2000 }, processing: { leak: 1024 ** 2 } });
  assert.deepEqual(input, { processing: { crash: 0.05 } }, 'input not mutated');
  assert.deepEqual(describeFaults(set), ['processing.leak=1MB', 'notification.latency=2s']);
  const db = applyFaultSettings({}, [
    parseFaultSetting('inventory.slow_query=on'),
    parseFaultSetting('inventory.n_plus_one=20'),
    parseFaultSetting('inventory.db_pool=1'),
  ]);
  assert.deepEqual(describeFaults(db), [
    'inventory.n_plus_one=20',
    'inventory.db_pool=1',
    'inventory.slow_query=on',
  ]);
  const some = applyFaultSettings(
    {},
    ['inventory.latency_share=0.25', 'inventory.latency=4s'].map(parseFaultSetting),
  );
  assert.deepEqual(describeFaults(some), ['inventory.latency=4s', 'inventory.latency_share=0.25']);
});

test('a game-day schedule is repeatable by seed and switches the last fault off', () => {
  const a = faultSchedule(7, 30_000, 20);
  assert.deepEqual(a, faultSchedule(7, 30_000, 20));
  assert.notDeepEqual(a, faultSchedule(8, 30_000, 20));
  assert.deepEqual(
    a.map((s) => s.atMs),
    Array.from({ length: 20 }, (_, i) => i * 30_000),
  );
  for (let i = 1; i < a.length; i++) {
    const prev = a[i - 1]!.settings.at(-1)!;
    const now = a[i]!.settings.at(-1)!;
    const same = prev.service === now.service && prev.kind === now.kind;
    // Exactly one fault in force after each step.
    assert.equal(a[i]!.settings.length, same ? 1 : 2);
    if (!same) assert.deepEqual(a[i]!.settings[0], { ...prev, value: 0 });
  }
  assert.deepEqual(parseScheduleSpec('seed=7,every=10s'), { seed: 7, everyMs: 10_000 });
  assert.deepEqual(parseScheduleSpec('seed=3'), { seed: 3, everyMs: 30_000 });
  assert.throws(() => parseScheduleSpec('every=10s'), /seed=<whole number>/);
  assert.throws(() => parseScheduleSpec('seed=1,every=10ms'), /1s or more/);
});

test('propagation=drop reads back from the run-time state (stored as 1) and shows as drop', () => {
  const dropped = parseFaultSetting('notification.propagation=drop');
  // The Redis state stores String(value) and parses `<field>=<value>` back.
  assert.deepEqual(parseFaultSetting(`notification.propagation=${dropped.value}`), dropped);
  const set = applyFaultSettings({}, [dropped]);
  assert.deepEqual(set, { notification: { propagation: 1 } });
  assert.deepEqual(describeFaults(set), ['notification.propagation=drop']);
  assert.deepEqual(
    applyFaultSettings(set, [parseFaultSetting('notification.propagation=off')]),
    {},
  );
});
