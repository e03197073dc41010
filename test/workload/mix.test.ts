import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../../src/config/index.js';
import { workloadOptions, workloadSettingsFrom } from '../../src/workload/index.js';
import { drawType, mulberry32, planWorkload, serviceSeed } from '../../src/workload/plan.js';
import { ITEM_RANGES, OPERATIONS, SPEC_MIXES, WORKLOAD_TYPES } from '../../src/workload/types.js';
import type { ServiceKind } from '../../src/model/index.js';
import type { PlanChoice } from '../../src/workload/plan.js';

const SPEC_SERVICES = ['api', 'processing', 'notification', 'analytics'] as const;

function summary(seed: number, service: ServiceKind, n: number, extra: Partial<PlanChoice> = {}) {
  const random = mulberry32(serviceSeed(seed, service));
  return Array.from({ length: n }, () => {
    const p = planWorkload(random, { mix: SPEC_MIXES[service], scale: 1, ...extra });
    return `${p.type.replace('_heavy', '')} ${p.intensity} ${p.items}`;
  });
}

test('the spec services draw exactly what they drew with the CPU/I-O split', () => {
  // Recorded from the build before the mix had more than two types.
  // prettier-ignore
  const recorded: Record<(typeof SPEC_SERVICES)[number], string[]> = {
    api: [
      'cpu medium 2998', 'io light 9', 'io light 13', 'io medium 243', 'io medium 113',
      'cpu medium 1763', 'io light 12', 'io light 6', 'io medium 395', 'io light 14',
    ],
    processing: [
      'cpu medium 4865', 'cpu severe 183771', 'io medium 206', 'cpu medium 3907', 'io medium 187',
      'cpu medium 3388', 'cpu heavy 68829', 'io heavy 13189', 'cpu severe 179346', 'cpu severe 103196',
    ],
    notification: [
      'io heavy 9294', 'io heavy 8640', 'cpu light 100', 'io light 15', 'cpu light 100',
      'io heavy 8024', 'io light 9', 'io medium 331', 'io heavy 5871', 'io heavy 12375',
    ],
    analytics: [
      'io severe 39232', 'cpu medium 4293', 'cpu severe 134774', 'io medium 216', 'cpu severe 130392',
      'io medium 151', 'cpu severe 129865', 'cpu heavy 96546', 'cpu heavy 77595', 'cpu heavy 92326',
    ],
  };
  for (const service of SPEC_SERVICES) {
    assert.deepEqual(summary(2026, service, 10), recorded[service], service);
    assert.deepEqual(summary(2026, service, 10, { unavailable: ['db_heavy'] }), recorded[service]);
  }
  // And the old rule, u < cpu / (cpu + io), at every draw, with or without a database.
  const random = mulberry32(77);
  for (const service of SPEC_SERVICES) {
    const mix = SPEC_MIXES[service];
    const old = (u: number) =>
      u < mix.cpuHeavy / (mix.cpuHeavy + mix.ioHeavy) ? 'cpu_heavy' : 'io_heavy';
    for (const u of [0, mix.cpuHeavy, mix.cpuHeavy - Number.EPSILON, 0.999_999_999]) {
      assert.equal(drawType(mix, u), old(u), `${service} at ${u}`);
    }
    for (let i = 0; i < 20_000; i++) {
      const u = random();
      assert.equal(drawType(mix, u), old(u));
      assert.equal(drawType(mix, u, ['db_heavy']), old(u));
    }
  }
});

test("inventory's mix draws db_heavy, cpu_heavy and io_heavy by their shares", () => {
  const n = 20_000;
  const share = (plans: string[], type: string) =>
    plans.filter((p) => p.startsWith(`${type} `)).length / n;
  const drawn = summary(5, 'inventory', n);
  // sd of a share ≤ 0.0036 at n = 20 000: ±0.02 is over 5 sd.
  assert.ok(Math.abs(share(drawn, 'db') - 0.5) < 0.02, `db ${share(drawn, 'db')}`);
  assert.ok(Math.abs(share(drawn, 'cpu') - 0.2) < 0.02);
  assert.ok(Math.abs(share(drawn, 'io') - 0.3) < 0.02);
  assert.equal(share(drawn, 'network'), 0);
  assert.deepEqual(SPEC_MIXES.inventory.intensities, ['light', 'medium']);
});

test('a service without a database never draws db_heavy: the others keep their proportions', () => {
  const n = 20_000;
  const drawn = summary(5, 'inventory', n, { unavailable: ['db_heavy'] });
  assert.equal(drawn.filter((p) => p.startsWith('db ')).length, 0);
  const cpu = drawn.filter((p) => p.startsWith('cpu ')).length / n;
  assert.ok(Math.abs(cpu - 0.4) < 0.02, `cpu ${cpu}`); // 0.2 / (0.2 + 0.3)
  // Nothing left but the missing type: CPU work rather than none.
  const dbOnly = { cpuHeavy: 0, ioHeavy: 0, dbHeavy: 1, intensities: ['light'] } as const;
  assert.equal(drawType(dbOnly, 0.3, ['db_heavy']), 'cpu_heavy');
  // A forced type is what was asked, available or not (the runner refuses db_heavy without a database).
  const forced = planWorkload(mulberry32(1), {
    mix: SPEC_MIXES.api,
    scale: 1,
    type: 'network_heavy',
    intensity: 'severe',
  });
  assert.equal(forced.operation, 'net_stream_flood');
});

test('every new type has an operation and an item range at each intensity', () => {
  assert.deepEqual(OPERATIONS.db_heavy, {
    light: 'db_indexed_lookup',
    medium: 'db_join_aggregate',
    heavy: 'db_table_scan',
    severe: 'db_locked_transaction',
  });
  assert.deepEqual(Object.values(OPERATIONS.network_heavy), [
    'net_small_messages',
    'net_payload_transfer',
    'net_bulk_transfer',
    'net_stream_flood',
  ]);
  const names = WORKLOAD_TYPES.flatMap((t) => Object.values(OPERATIONS[t]));
  assert.equal(new Set(names).size, 16, 'every operation name is its own');
  for (const type of WORKLOAD_TYPES) {
    for (const [min, max] of Object.values(ITEM_RANGES[type])) {
      assert.ok(Number.isInteger(min) && min >= 1 && max >= min, `${type} ${min}-${max}`);
    }
  }
});

const settings = (argv: string[]) =>
  workloadSettingsFrom(parseCommandLine(workloadOptions, argv, {}).values);

test('--workload-mix: a new type given alone takes its share from the others in proportion', () => {
  const api = settings(['--workload-mix', '{"api":{"network_heavy":0.2}}']).mixes.api;
  assert.equal(api.networkHeavy, 0.2);
  assert.ok(Math.abs(api.cpuHeavy - 0.32) < 1e-12, `cpu ${api.cpuHeavy}`); // 0.8 × 0.4
  assert.ok(Math.abs(api.ioHeavy - 0.48) < 1e-12, `io ${api.ioHeavy}`); // 0.8 × 0.6
  assert.equal(api.dbHeavy, undefined);
  const inventory = settings([
    '--workload-mix',
    '{"inventory":{"db_heavy":0.8,"intensities":["heavy","severe"]}}',
  ]).mixes.inventory;
  assert.equal(inventory.dbHeavy, 0.8);
  assert.ok(Math.abs(inventory.cpuHeavy - 0.08) < 1e-12); // 0.2 × 0.2 / 0.5
  assert.ok(Math.abs(inventory.ioHeavy - 0.12) < 1e-12);
  assert.deepEqual(inventory.intensities, ['heavy', 'severe']);
  // All four given: they must add up to 1.
  const all = settings([
    '--workload-mix',
    '{"api":{"cpu_heavy":0.1,"io_heavy":0.2,"db_heavy":0.3,"network_heavy":0.4}}',
  ]).mixes.api;
  assert.deepEqual(
    [all.cpuHeavy, all.ioHeavy, all.dbHeavy, all.networkHeavy],
    [0.1, 0.2, 0.3, 0.4],
  );
  // A share of 0 removes the type.
  const noDb = settings(['--workload-mix', '{"inventory":{"db_heavy":0}}']).mixes.inventory;
  assert.equal(noDb.dbHeavy, undefined);
  assert.ok(Math.abs(noDb.cpuHeavy + noDb.ioHeavy - 1) < 1e-12);
});

test('--workload-mix refuses shares over 1 and names every field', () => {
  const mix = (value: string) => settings(['--workload-mix', value]);
  assert.throws(
    () => mix('{"inventory":{"db_heavy":0.7,"network_heavy":0.5}}'),
    /db_heavy \+ network_heavy must add up to 1 at most, got 0.7 \+ 0.5/,
  );
  assert.throws(
    () => mix('{"api":{"cpu_heavy":0.1,"io_heavy":0.2,"db_heavy":0.3,"network_heavy":0.3}}'),
    /must add up to 1, got 0.1 \+ 0.2 \+ 0.3 \+ 0.3/,
  );
  assert.throws(
    () => mix('{"api":{"net":0.5}}'),
    /valid fields: cpu_heavy, io_heavy, db_heavy, network_heavy, intensities/,
  );
  assert.throws(() => mix('{"api":{"db_heavy":-0.1}}'), /db_heavy must be a number from 0 to 1/);
});

test('--intensity and the mix work for inventory', () => {
  const s = settings(['--intensity', 'inventory=severe']);
  assert.deepEqual(s.fixedIntensities, { inventory: 'severe' });
  assert.deepEqual(s.mixes.inventory, SPEC_MIXES.inventory);
  const plan = planWorkload(mulberry32(3), {
    mix: s.mixes.inventory,
    scale: 1,
    intensity: 'severe',
    type: 'db_heavy',
  });
  assert.equal(plan.operation, 'db_locked_transaction');
});
