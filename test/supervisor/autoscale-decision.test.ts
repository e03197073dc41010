import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide } from '../../src/supervisor/autoscale-decision.js';
import type {
  AutoscaleBounds,
  AutoscaleSettings,
  ScaleChange,
  WatchState,
} from '../../src/supervisor/autoscale-decision.js';

const settings: AutoscaleSettings = { lag: 50, windowMs: 5000, idleMs: 15000, cooldownMs: 10000 };
const bounds: AutoscaleBounds = { min: 1, max: 3 };

/**
 * Feeds one sample a second (backlogs[i] at i s), applying each change to the replica count
 * as the replica control would; returns the changes with the second they came at.
 */
function run(
  backlogs: readonly number[],
  opts: { replicas?: number; bounds?: AutoscaleBounds; settings?: AutoscaleSettings } = {},
): Array<ScaleChange & { atS: number }> {
  let state: WatchState = {};
  let replicas = opts.replicas ?? 1;
  const changes: Array<ScaleChange & { atS: number }> = [];
  backlogs.forEach((backlog, i) => {
    const d = decide({
      bounds: opts.bounds ?? bounds,
      settings: opts.settings ?? settings,
      state,
      sample: { at: i * 1000, backlog, replicas },
    });
    state = d.state;
    if (d.change) {
      changes.push({ ...d.change, atS: i });
      replicas = d.change.to;
    }
  });
  return changes;
}

const repeat = (value: number, n: number) => Array<number>(n).fill(value);

test('a backlog above the threshold for the whole window adds one replica, then waits the cool-down', () => {
  const changes = run(repeat(200, 30));
  // Above from 0 s: 5 s later one more; the cool-down (10 s) and a new window hold the next.
  assert.deepEqual(
    changes.map((c) => [c.atS, c.from, c.to]),
    [
      [5, 1, 2],
      [15, 2, 3],
    ],
  );
  assert.match(changes[0]!.reason, /^backlog 200 above 50 for 5\.0 s$/);
});

test('a backlog that dips to the threshold restarts the window: nothing is added', () => {
  // 4 s above, one sample at exactly 50 (not above), 4 s above, …
  const wave = [...repeat(120, 4), 50];
  assert.deepEqual(run([...wave, ...wave, ...wave, ...wave]), []);
});

test('never above the maximum, never below the minimum', () => {
  assert.deepEqual(
    run(repeat(500, 60), { bounds: { min: 1, max: 2 } }).map((c) => c.to),
    [2],
  );
  assert.deepEqual(run(repeat(0, 120), { replicas: 2, bounds: { min: 2, max: 4 } }), []);
});

test('an idle backlog for the idle time removes one replica at a time, down to the minimum', () => {
  const changes = run(repeat(0, 60), { replicas: 3 });
  // Idle from 0 s: the first at 15 s; the next needs a fresh idle window, from the sample
  // after the change (16 s).
  assert.deepEqual(
    changes.map((c) => [c.atS, c.from, c.to]),
    [
      [15, 3, 2],
      [31, 2, 1],
    ],
  );
  assert.match(changes[0]!.reason, /^backlog 0 for 15\.0 s$/);
});

test('a small backlog (between 0 and the threshold) neither adds nor removes', () => {
  assert.deepEqual(run(repeat(10, 60), { replicas: 2 }), []);
});

test('the cool-down holds a change the window alone would allow', () => {
  const quick = { ...settings, windowMs: 1000, cooldownMs: 8000 };
  const changes = run(repeat(300, 20), { settings: quick });
  // At 1 s; then the window is held from 2 s, but the next waits for 1 s + 8 s.
  assert.deepEqual(
    changes.map((c) => c.atS),
    [1, 9],
  );
});

test('a count outside new bounds is brought inside at once, cool-down or not', () => {
  let state: WatchState = { changedAt: 0 };
  const below = decide({
    bounds: { min: 2, max: 4 },
    settings,
    state,
    sample: { at: 1000, backlog: 0, replicas: 1 },
  });
  assert.deepEqual(below.change, { from: 1, to: 2, reason: 'below the minimum 2' });
  state = below.state;
  const above = decide({
    bounds: { min: 1, max: 2 },
    settings,
    state,
    sample: { at: 2000, backlog: 999, replicas: 3 },
  });
  assert.deepEqual(above.change, { from: 3, to: 2, reason: 'above the maximum 2' });
});
