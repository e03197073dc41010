import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../src/cli/options.js';
import type { OptionSpec } from '../src/cli/options.js';
import { runCli } from './helpers/cli.js';

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

const specs: OptionSpec[] = [
  {
    name: 'port',
    type: 'number',
    env: 'T_PORT',
    default: 4318,
    integer: true,
    min: 0,
    description: 'p',
  },
  { name: 'mode', type: 'string', choices: ['a', 'b'], default: 'a', description: 'm' },
  { name: 'scale', type: 'list', default: [], description: 's' },
];

test('settings: defaults, then environment, then flags', () => {
  assert.equal(parseCommandLine(specs, [], {}).values.port, 4318);
  assert.equal(parseCommandLine(specs, [], { T_PORT: '5000' }).values.port, 5000);
  assert.equal(parseCommandLine(specs, ['--port', '6000'], { T_PORT: '5000' }).values.port, 6000);
  assert.deepEqual(parseCommandLine(specs, ['--scale', 'a=1', '--scale', 'b=2'], {}).values.scale, [
    'a=1',
    'b=2',
  ]);
});

test('settings: bad values give messages a user can act on', () => {
  assert.throws(() => parseCommandLine(specs, ['--port', 'x'], {}), /--port: expected a number/);
  assert.throws(() => parseCommandLine(specs, ['--port', '1.5'], {}), /whole number/);
  assert.throws(() => parseCommandLine(specs, [], { T_PORT: '-1' }), /T_PORT: must be at least 0/);
  assert.throws(() => parseCommandLine(specs, ['--mode', 'c'], {}), /expected one of a, b/);
  assert.throws(() => parseCommandLine(specs, ['--nope'], {}), /Unknown option '--nope'/);
});
