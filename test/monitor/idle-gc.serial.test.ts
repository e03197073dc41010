import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectWhenIdle } from '../../src/monitor/index.js';
import { waitFor } from '../helpers/wait.js';

const PERIOD_MS = 200;
// Work here fills whole periods, so a high bar still sees it; the default 2 % would count a
// loaded machine's stray milliseconds (a timer callback preempted) as work.
const QUIET_BELOW = 0.2;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Keeps the event loop busy: a period spent here is anything but quiet. */
function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('one full collection in the first quiet period after work, none while idle or busy', async () => {
  let collections = 0;
  const stop = collectWhenIdle({
    gc: () => collections++,
    everyMs: PERIOD_MS,
    quietBelow: QUIET_BELOW,
  });
  try {
    // Start-up counts as work: the first quiet period collects once…
    await waitFor('the collection after start-up', () => collections === 1, 5000, 10);
    // …and an idle process is left alone after that.
    await pause(PERIOD_MS * 6);
    assert.equal(collections, 1, 'no collection while idle');

    // Busy periods never collect; the quiet one after them does, once.
    for (let i = 0; i < 4; i++) {
      work(PERIOD_MS);
      await pause(1);
    }
    assert.equal(collections, 1, 'no collection while busy');
    await waitFor('the collection after the burst', () => collections === 2, 5000, 10);
    await pause(PERIOD_MS * 6);
    assert.equal(collections, 2);
  } finally {
    stop();
  }
});
