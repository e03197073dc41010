import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opt, parseCommandLine, portOption } from '../../src/config/index.js';
import type { OptionSpec } from '../../src/config/index.js';

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

test('settings: a port is 0 to 65535, a max is enforced, errors are coded', () => {
  const ports: OptionSpec[] = [
    portOption({ name: 'api-port', env: 'T_API', default: 8080, description: 'p' }),
    { name: 'share', type: 'number', min: 0, max: 1, default: 0.5, description: 's' },
  ];
  assert.equal(parseCommandLine(ports, ['--api-port', '0'], {}).values['api-port'], 0);
  assert.equal(parseCommandLine(ports, ['--api-port', '65535'], {}).values['api-port'], 65535);
  assert.throws(() => parseCommandLine(ports, [], { T_API: '65536' }), {
    name: 'ConfigError',
    code: 'CONFIG_ERR_BAD_VALUE',
    message: 'T_API: must be a port number from 0 to 65535, got 65536',
  });
  assert.throws(
    () => parseCommandLine(ports, ['--share', '1.5'], {}),
    /--share: must be at most 1, got 1.5/,
  );
});

test('settings: typed accessors read what was parsed, and name a missing value', () => {
  const parsed = parseCommandLine(specs, ['--port', '7000'], {});
  assert.equal(opt.num(parsed.values, 'port'), 7000);
  assert.equal(opt.str(parsed.values, 'mode'), 'a');
  assert.deepEqual(opt.list(parsed.values, 'scale'), []);
  assert.equal(opt.maybeStr(parsed.values, 'absent'), undefined);
  assert.throws(() => opt.str(parsed.values, 'absent'), { code: 'CONFIG_ERR_MISSING' });
});
