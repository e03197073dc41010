import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DependencyUnavailableError } from '../../src/services/errors.js';
import { createCallPolicy } from '../../src/services/processing/call-policy.js';
import type { AttemptContext, BreakerState } from '../../src/services/processing/call-policy.js';
import { InventoryCallError, isInventoryFailure } from '../../src/services/processing/index.js';
import { DEFAULT_RESILIENCE } from '../../src/workload/index.js';

const policy = { ...DEFAULT_RESILIENCE, backoffMs: 1 };
const failing = () => Promise.reject(new InventoryCallError(500, 'injected'));

describe('the policies around a call to inventory', () => {
  test('a failing attempt is tried again, each resend numbered, up to the retries', async () => {
    const seen: AttemptContext[] = [];
    const p = createCallPolicy({ ...policy, retries: 2 }, isInventoryFailure);
    let n = 0;
    const answer = await p.execute((ctx) => {
      seen.push(ctx);
      return ++n < 3 ? failing() : Promise.resolve('ok');
    });
    assert.equal(answer, 'ok');
    assert.deepEqual(
      seen.map((c) => c.resend),
      [0, 1, 2],
    );
    assert.ok(seen.every((c) => c.breaker === 'closed'));
  });

  test("the order's own fault (a 400) is not tried again", async () => {
    let n = 0;
    const p = createCallPolicy(policy, isInventoryFailure);
    await assert.rejects(
      p.execute(() => {
        n++;
        return Promise.reject(new InventoryCallError(400, 'bad item'));
      }),
      InventoryCallError,
    );
    assert.equal(n, 1);
  });

  test('consecutive failures open the breaker: refused at once, as the dependency down; half-open after the pause', async () => {
    const changes: Array<{ from: BreakerState; to: BreakerState }> = [];
    const p = createCallPolicy(
      { ...policy, retries: 0, breakerFailures: 3, breakerPauseMs: 200 },
      isInventoryFailure,
      { onBreakerChange: (c) => changes.push(c) },
    );
    for (let i = 0; i < 3; i++) await assert.rejects(p.execute(failing), InventoryCallError);
    assert.equal(p.breakerState(), 'open');
    let called = false;
    await assert.rejects(
      p.execute(() => {
        called = true;
        return Promise.resolve('ok');
      }),
      (err: unknown) =>
        err instanceof DependencyUnavailableError && /circuit breaker is open/.test(err.message),
    );
    assert.equal(called, false, 'refused without a call');
    await new Promise((r) => setTimeout(r, 250));
    const states: BreakerState[] = [];
    assert.equal(
      await p.execute((ctx) => {
        states.push(ctx.breaker);
        return Promise.resolve('ok');
      }),
      'ok',
    );
    assert.deepEqual(states, ['half_open']);
    assert.equal(p.breakerState(), 'closed');
    assert.deepEqual(changes, [
      { from: 'closed', to: 'open' },
      { from: 'open', to: 'half_open' },
      { from: 'half_open', to: 'closed' },
    ]);
  });

  test('an attempt past its time limit fails as the dependency down, and is retried', async () => {
    let n = 0;
    const p = createCallPolicy({ ...policy, timeoutMs: 50, retries: 1 }, isInventoryFailure);
    await assert.rejects(
      p.execute(({ signal }) => {
        n++;
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }),
      (err: unknown) =>
        err instanceof DependencyUnavailableError && /within 50 ms/.test(err.message),
    );
    assert.equal(n, 2);
  });

  test('the bulkhead lets N calls at once, queues a few, refuses the rest', async () => {
    const p = createCallPolicy({ ...policy, bulkhead: 1 }, isInventoryFailure);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    let most = 0;
    const call = () =>
      p.execute(async () => {
        most = Math.max(most, ++running);
        await gate;
        running--;
        return 'ok';
      });
    const accepted = Array.from({ length: 5 }, call); // 1 running + 4 queued
    await assert.rejects(
      call(),
      (err: unknown) => err instanceof DependencyUnavailableError && /bulkhead/.test(err.message),
    );
    release();
    assert.deepEqual(await Promise.all(accepted), ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(most, 1);
  });
});
