import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { runCpuOperation } from '../../src/workload/operations/cpu.js';
import { createCpuPool } from '../../src/workload/pool.js';
import { measureCpu } from '../helpers/workload-env.js';

test(
  'the worker pool makes a heavy operation use more than one core',
  { skip: availableParallelism() < 2 && `this machine has ${availableParallelism()} core` },
  async (t) => {
    const pool = createCpuPool(2);
    t.after(() => pool.close());
    await runCpuOperation('intensive_prime_computation', 2000, () => pool);
    const m = await measureCpu(() =>
      runCpuOperation('intensive_prime_computation', 30_000, () => pool),
    );
    t.diagnostic(
      `${m.wallMs.toFixed(0)} ms: pool threads wanted ${m.coresWanted.toFixed(2)} cores, got ` +
        `${m.coresGot.toFixed(2)} (the rest went to other users of the machine); ` +
        `${m.busyOtherThreads} busy threads`,
    );
    assert.ok(m.busyOtherThreads >= 2, `work spread over ${m.busyOtherThreads} threads`);
    // Two threads on a CPU or queued for one through (nearly) the whole call: the work asks
    // for two cores at once, whatever else the machine is doing.
    assert.ok(m.coresWanted > 1.7, `the pool threads wanted ${m.coresWanted} cores`);
  },
);
