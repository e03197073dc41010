import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_RESILIENCE,
  describeResilience,
  effectivePolicy,
  hasBreaker,
  parseResilienceSettings,
  ResilienceSpecError,
} from '../../src/workload/index.js';

describe('resilience settings (k=v)', () => {
  test('reads each word into its field, off as 0, commas as separate words', () => {
    assert.deepEqual(parseResilienceSettings(['retries=3', 'breaker_pause_ms=off,bulkhead=4']), {
      retries: 3,
      breakerPauseMs: 0,
      bulkhead: 4,
    });
    assert.deepEqual(parseResilienceSettings(['timeout_ms=250', 'backoff_ms=0']), {
      timeoutMs: 250,
      backoffMs: 0,
    });
  });

  test('refuses an unknown word, a missing value, a fraction and a value out of range', () => {
    for (const bad of [
      'retry=3',
      'retries',
      'retries=',
      'retries=1.5',
      'retries=11',
      'timeout_ms=10',
      'timeout_ms=off',
    ]) {
      assert.throws(() => parseResilienceSettings([bad]), ResilienceSpecError, bad);
    }
    assert.throws(() => parseResilienceSettings(['nope=1']), /one of timeout_ms, retries/);
    assert.throws(() => parseResilienceSettings(['retries=99']), /from 0 to 10 \(or off\)/);
  });

  test('says the settings back as words, and the run-time ones win over the flags', () => {
    const words = describeResilience({ retries: 0, breakerFailures: 3 });
    assert.deepEqual(words, ['retries=0', 'breaker_failures=3']);
    assert.deepEqual(parseResilienceSettings(words), { retries: 0, breakerFailures: 3 });
    const p = effectivePolicy(DEFAULT_RESILIENCE, { retries: 0 });
    assert.equal(p.retries, 0);
    assert.equal(p.timeoutMs, DEFAULT_RESILIENCE.timeoutMs);
  });

  test('a breaker needs both a failure count and a pause', () => {
    assert.equal(hasBreaker(DEFAULT_RESILIENCE), true);
    assert.equal(hasBreaker({ ...DEFAULT_RESILIENCE, breakerFailures: 0 }), false);
    assert.equal(hasBreaker({ ...DEFAULT_RESILIENCE, breakerPauseMs: 0 }), false);
  });
});
