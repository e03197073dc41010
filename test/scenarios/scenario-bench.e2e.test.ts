import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

/**
 * Three scenarios whose answer rests on what the spans say, never on timing, so a busy machine
 * cannot change it: a poison message ends in dead letters, duplicate delivery shows several
 * first deliveries per order downstream of the publisher, and dropped propagation splits each
 * order's trace at the service that dropped it.
 */
const IDS = ['poison-message', 'duplicate-delivery', 'broken-propagation'];

test('scenario bench starts its own lab, runs the scenarios and scores the analyser', async () => {
  const res = await runCli(
    [
      'scenario',
      'bench',
      '--scenario',
      IDS.join(','),
      '--seed',
      '7',
      '--workload-scale',
      '0.02',
      '--json',
    ],
    { timeoutMs: 240_000 },
  );
  assert.equal(res.code, 0, res.stderr.slice(-2000));
  const out = JSON.parse(res.stdout) as {
    scenarios: {
      id: string;
      seed: number;
      truth: { service: string; cause: string };
      analyser: { service: string | null; cause: string | null; because: string };
      correct: boolean;
    }[];
    accuracy: number;
  };
  assert.deepEqual(
    out.scenarios.map((c) => [c.id, c.seed]),
    IDS.map((id) => [id, 7]),
  );
  for (const c of out.scenarios) {
    assert.equal(typeof c.truth.service, 'string');
    assert.equal(typeof c.analyser.because, 'string');
    assert.deepEqual(
      [c.analyser.service, c.analyser.cause],
      [c.truth.service, c.truth.cause],
      `${c.id}: ${c.analyser.because}`,
    );
    assert.equal(c.correct, true);
  }
  assert.equal(out.accuracy, 1);
  // Progress went to stderr, one line per step, naming each scenario.
  for (const id of IDS) assert.match(res.stderr, new RegExp(`${id} seed 7: right`));
});
