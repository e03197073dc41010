import assert from 'node:assert/strict';
import { test } from 'node:test';
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
