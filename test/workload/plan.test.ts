import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  drawItems,
  forcedIntensity,
  mulberry32,
  planWorkload,
  scaleItems,
  serviceSeed,
} from '../../src/workload/plan.js';
import { INTENSITIES, ITEM_RANGES, OPERATIONS, SPEC_MIXES } from '../../src/workload/types.js';
import { SERVICE_KINDS } from '../../src/model/index.js';
import type { ServiceKind } from '../../src/model/index.js';
import type { WorkloadPlan } from '../../src/workload/types.js';

function plans(seed: number, service: ServiceKind, n: number, scale = 1): WorkloadPlan[] {
  const random = mulberry32(serviceSeed(seed, service));
  return Array.from({ length: n }, () => planWorkload(random, { mix: SPEC_MIXES[service], scale }));
}

test('the same seed gives the same sequence; other seeds and other services differ', () => {
  assert.deepEqual(plans(42, 'processing', 200), plans(42, 'processing', 200));
  assert.notDeepEqual(plans(42, 'processing', 200), plans(43, 'processing', 200));
  assert.notDeepEqual(plans(42, 'analytics', 200), plans(42, 'processing', 200));
  // Seeds beyond 32 bits keep their high bits.
  assert.notDeepEqual(plans(2 ** 32 + 1, 'api', 50), plans(1, 'api', 50));
});

test('mulberry32 draws are in [0, 1) and spread evenly', () => {
  const random = mulberry32(7);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const u = random();
    assert.ok(u >= 0 && u < 1);
    buckets[Math.floor(u * 10)]!++;
  }
  // Each bucket expects 10 000 (sd ≈ 95); ±600 is over 6 sd.
  for (const b of buckets) assert.ok(Math.abs(b - 10_000) < 600, `bucket ${b}`);
});

test('item counts stay within the spec ranges at scale 1, both ends reachable', () => {
  for (const type of ['cpu_heavy', 'io_heavy'] as const) {
    for (const intensity of INTENSITIES) {
      const [min, max] = ITEM_RANGES[type][intensity];
      assert.equal(drawItems(type, intensity, 0), min);
      assert.equal(drawItems(type, intensity, 0.999_999_999), max);
      const random = mulberry32(intensity.length);
      for (let i = 0; i < 2000; i++) {
        const items = drawItems(type, intensity, random());
        assert.ok(
          items >= min && items <= max && Number.isInteger(items),
          `${type} ${intensity} ${items}`,
        );
      }
    }
  }
  assert.deepEqual(ITEM_RANGES.cpu_heavy.light, [100, 100]);
  assert.deepEqual(ITEM_RANGES.cpu_heavy.heavy, [50_000, 100_000]);
  assert.deepEqual(ITEM_RANGES.io_heavy.severe, [30_000, 60_000]);
});

test('every plan runs the operation of its type and intensity, with items in range', () => {
  for (const service of SERVICE_KINDS) {
    for (const p of plans(1, service, 500)) {
      assert.equal(p.operation, OPERATIONS[p.type][p.intensity]);
      const [min, max] = ITEM_RANGES[p.type][p.intensity];
      assert.ok(p.items >= min && p.items <= max);
      assert.ok(SPEC_MIXES[service].intensities.includes(p.intensity));
    }
  }
});

test('the scale factor shrinks items and never goes below one', () => {
  assert.equal(scaleItems(100_000, 0.05), 5000);
  assert.equal(scaleItems(5, 0.05), 1);
  assert.equal(scaleItems(100, 0.001), 1);
  const full = plans(9, 'processing', 300);
  const scaled = plans(9, 'processing', 300, 0.05);
  full.forEach((p, i) => {
    assert.equal(scaled[i]!.operation, p.operation);
    assert.equal(scaled[i]!.items, Math.max(1, Math.round(p.items * 0.05)));
  });
});

test('over many draws each service matches its mix (CPU/IO split and intensities)', () => {
  // 20 000 draws: the sd of a share p is √(p(1−p)/n) ≤ 0.0036, so ±0.02 is over 5 sd.
  const n = 20_000;
  for (const service of SERVICE_KINDS) {
    const mix = SPEC_MIXES[service];
    const drawn = plans(12345, service, n);
    const cpuShare = drawn.filter((p) => p.type === 'cpu_heavy').length / n;
    assert.ok(Math.abs(cpuShare - mix.cpuHeavy) < 0.02, `${service} cpu share ${cpuShare}`);
    for (const intensity of INTENSITIES) {
      const share = drawn.filter((p) => p.intensity === intensity).length / n;
      const expected = mix.intensities.includes(intensity) ? 1 / mix.intensities.length : 0;
      assert.ok(Math.abs(share - expected) < 0.02, `${service} ${intensity} share ${share}`);
    }
  }
  assert.deepEqual(SPEC_MIXES.api, {
    cpuHeavy: 0.4,
    ioHeavy: 0.6,
    intensities: ['light', 'medium'],
  });
  assert.deepEqual(SPEC_MIXES.processing.intensities, ['medium', 'heavy', 'severe']);
  assert.equal(SPEC_MIXES.notification.cpuHeavy, 0.3);
  assert.equal(SPEC_MIXES.analytics.cpuHeavy, 0.5);
});

test('precedence: requested > baggage > fixed for the service > mix; bad baggage is ignored', () => {
  assert.equal(forcedIntensity({ requested: 'light', baggage: 'severe', fixed: 'heavy' }), 'light');
  assert.equal(forcedIntensity({ baggage: 'severe', fixed: 'heavy' }), 'severe');
  assert.equal(forcedIntensity({ baggage: 'extreme', fixed: 'heavy' }), 'heavy');
  assert.equal(forcedIntensity({ baggage: '', fixed: 'medium' }), 'medium');
  assert.equal(forcedIntensity({ baggage: 'nonsense' }), undefined);
  assert.equal(forcedIntensity({}), undefined);
});

test('an intensity switched at run time comes after the order’s own and before the flags’', () => {
  assert.equal(forcedIntensity({ runtime: 'heavy', fixed: 'light' }), 'heavy');
  assert.equal(forcedIntensity({ runtime: 'heavy' }), 'heavy');
  assert.equal(forcedIntensity({ baggage: 'severe', runtime: 'heavy', fixed: 'light' }), 'severe');
  assert.equal(forcedIntensity({ requested: 'light', runtime: 'heavy' }), 'light');
  assert.equal(forcedIntensity({ fixed: 'light' }), 'light');
});

test('a forced intensity runs even outside the mix, and does not shift later draws', () => {
  const mix = SPEC_MIXES.api; // light, medium only
  const a = mulberry32(5);
  const b = mulberry32(5);
  const forced = planWorkload(a, { mix, scale: 1, intensity: 'severe' });
  assert.equal(forced.intensity, 'severe');
  assert.match(forced.operation, /^extreme_/);
  planWorkload(b, { mix, scale: 1 });
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(planWorkload(a, { mix, scale: 1 }), planWorkload(b, { mix, scale: 1 }));
  }
  assert.equal(planWorkload(a, { mix, scale: 1, type: 'io_heavy' }).type, 'io_heavy');
});
