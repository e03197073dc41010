import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burstMeanWaitUs, estimateScaling } from '../../src/exercises/scaling-estimate.js';

const s = (x: number) => x * 1_000_000;

test('the model: the i-th of a burst waits floor(i / replicas) service times', () => {
  // 8 at once, one replica: 0+1+…+7 = 28 services over 8 orders; two: 0+0+1+1+2+2+3+3 = 12.
  assert.equal(burstMeanWaitUs(8, 1, s(2)), s(7));
  assert.equal(burstMeanWaitUs(8, 2, s(2)), s(3));
  assert.equal(burstMeanWaitUs(0, 2, s(2)), 0);
});

test('two replicas that each ran twice as slow: the estimate missed, and the answer says why', () => {
  // The run of the issue: −57.1 % estimated at 3.7 s an order, −21.8 % measured; on two
  // shared cores each of the two replicas took 7.4 s.
  const e = estimateScaling(
    8,
    { replicas: 1, serviceUs: s(3.7), meanWaitUs: s(12) },
    { replicas: 2, serviceUs: s(7.4), meanWaitUs: s(9.384) },
    2,
  );
  assert.equal(e.estimatedPct, -57.1);
  assert.equal(e.measuredPct, -21.8);
  assert.equal(e.missed, true);
  assert.equal(e.slowdown, 2);
  assert.equal(
    e.estimateLine,
    "Estimate: 8 orders at once, the i-th waits ⌊i / replicas⌋ service times; at the baseline's 3.7 s an order the mean wait goes 13 s → 5.6 s (−57.1 %).",
  );
  assert.deepEqual(e.whyLines, [
    "Why the estimate missed: it assumes each replica still takes 3.7 s an order. Measured, each of the 2 replicas took 7.4 s (×2 the baseline's): their CPU work shares the machine's 2 cores with each other and the other services, so the replicas slow each other down and capacity went 0.3 orders/s → 0.3 orders/s, not ×2.",
    '  With the service time measured after scaling the model gives a mean wait of 11 s; measured 9.4 s.',
  ]);
});

test('a measurement within 10 points of the estimate is said to be, with the service times', () => {
  const e = estimateScaling(
    8,
    { replicas: 1, serviceUs: s(2.3), meanWaitUs: s(9) },
    { replicas: 2, serviceUs: s(2.6), meanWaitUs: s(3.8) },
    2,
  );
  assert.equal(e.missed, false);
  assert.deepEqual(e.whyLines, [
    'The measurement (−57.8 %) is within 10 points of the estimate; service time per replica 2.3 s → 2.6 s.',
  ]);
});
