import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFailure } from '../../src/cli/errors.js';
import { BusError } from '../../src/bus/index.js';
import { WorkloadError } from '../../src/workload/index.js';
import { runCli } from '../helpers/cli.js';

test('tracelab --help lists the commands and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: tracelab <command>/);
});

test('an unknown command says so and exits 2', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});

test('every port flag takes 0 to 65535, in every command that has one', async () => {
  const cases: [string[], RegExp][] = [
    [['up', '--api-port', '65536'], /--api-port: must be a port number from 0 to 65535, got 65536/],
    [['up', '--otlp-port', '70000'], /--otlp-port: must be a port number from 0 to 65535/],
    [['service', 'api', '--api-port=-1'], /--api-port: must be a port number from 0 to 65535/],
    [['collector', '--http-port', '99999'], /--http-port: must be a port number from 0 to 65535/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('the CLI entry maps coded errors to exit codes: fixable 2, run-time 1, unknown with stack', () => {
  const bus = describeFailure(new BusError('BUS_ERR_UNREACHABLE', 'cannot reach Redis'));
  assert.deepEqual(bus, { text: 'tracelab: cannot reach Redis\n', exitCode: 2 });
  const wl = describeFailure(new WorkloadError('WL_ERR_POOL_CLOSED'));
  assert.deepEqual(wl, { text: 'tracelab: the CPU worker pool is closed\n', exitCode: 1 });
  const unknown = describeFailure(new TypeError('x is not a function'));
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.text, /unexpected error: TypeError: x is not a function\n\s+at /);
});
