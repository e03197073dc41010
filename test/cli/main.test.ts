import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFailure } from '../../src/cli/errors.js';
import { BusError } from '../../src/bus/index.js';
import { WorkloadError } from '../../src/workload/index.js';

test('the CLI entry maps coded errors to exit codes: fixable 2, run-time 1, unknown with stack', () => {
  const bus = describeFailure(new BusError('BUS_ERR_UNREACHABLE', 'cannot reach Redis'));
  assert.deepEqual(bus, { text: 'tracelab: cannot reach Redis\n', exitCode: 2 });
  const wl = describeFailure(new WorkloadError('WL_ERR_POOL_CLOSED'));
  assert.deepEqual(wl, { text: 'tracelab: the CPU worker pool is closed\n', exitCode: 1 });
  const unknown = describeFailure(new TypeError('x is not a function'));
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.text, /unexpected error: TypeError: x is not a function\n\s+at /);
});
