import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scenarioRecordProblem, scenarioSlot } from '../../src/supervisor/scenario-slot.js';

const whole = {
  id: 'slow-downstream',
  startedAt: 1_765_000_000_000,
  hintsShown: 0,
  seed: null,
  mystery: false,
  traceIds: ['4bf92f3577b34da6a3ce929d0e0e4736'],
  restore: { faults: ['notification.latency=off'], intensities: {}, replicas: {} },
};

test('a whole scenario record is held as sent, and cleared', () => {
  assert.equal(scenarioRecordProblem(whole), undefined);
  assert.equal(
    scenarioRecordProblem({ ...whole, seed: 7, mystery: true, hintsShown: 3 }),
    undefined,
  );
  const slot = scenarioSlot();
  assert.equal(slot.get(), null);
  slot.put(whole);
  assert.deepEqual(slot.get(), whole);
  slot.clear();
  assert.equal(slot.get(), null);
});

test('a record that is not whole is refused with what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    [[], /JSON object/],
    [{ ...whole, id: '../faults' }, /id must be a scenario id/],
    [{ ...whole, startedAt: 'now' }, /startedAt/],
    [{ ...whole, hintsShown: 4 }, /hintsShown/],
    [{ ...whole, seed: -1 }, /seed/],
    [{ ...whole, mystery: 'no' }, /mystery/],
    [{ ...whole, traceIds: ['not hex'] }, /traceIds/],
    [{ ...whole, restore: [] }, /restore/],
  ];
  for (const [body, problem] of cases) {
    assert.match(scenarioRecordProblem(body) ?? '', problem, JSON.stringify(body));
  }
});
