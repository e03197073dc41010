import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatHelp, parseCommandLine } from '../../src/config/index.js';
import { workloadOptions, workloadSettingsFrom } from '../../src/workload/index.js';
import { SPEC_MIXES } from '../../src/workload/types.js';

const settings = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  workloadSettingsFrom(parseCommandLine(workloadOptions, argv, env).values);

test('defaults: the spec mixes, scale 1, monitor at 100 ms, 80 % CPU, 200 MB', () => {
  const s = settings([]);
  assert.equal(s.seed, undefined);
  assert.equal(s.scale, 1);
  assert.equal(s.mode, 'spec');
  assert.deepEqual(s.fixedIntensities, {});
  assert.deepEqual(s.mixes, SPEC_MIXES);
  assert.deepEqual(s.monitor, {
    enabled: true,
    intervalMs: 100,
    cpuThresholdPercent: 80,
    memoryThresholdMb: 200,
  });
});

test('flags and environment set every workload setting', () => {
  const s = settings(
    [
      '--seed',
      '7',
      '--workload-scale',
      '0.05',
      '--intensity',
      'processing=heavy',
      '--intensity',
      'api=light',
    ],
    {
      TRACELAB_MONITOR_INTERVAL_MS: '50',
      TRACELAB_CPU_THRESHOLD: '70',
      TRACELAB_MEMORY_THRESHOLD_MB: '100',
      TRACELAB_MONITOR: 'off',
    },
  );
  assert.equal(s.seed, 7);
  assert.equal(s.scale, 0.05);
  assert.deepEqual(s.fixedIntensities, { processing: 'heavy', api: 'light' });
  assert.deepEqual(s.monitor, {
    enabled: false,
    intervalMs: 50,
    cpuThresholdPercent: 70,
    memoryThresholdMb: 100,
  });
  const e = settings([], {
    TRACELAB_SEED: '3',
    TRACELAB_WORKLOAD: 'none',
    TRACELAB_INTENSITY: 'analytics=severe, notification=light',
    TRACELAB_WORKLOAD_SCALE: '0.5',
  });
  assert.equal(e.seed, 3);
  assert.equal(e.mode, 'none');
  assert.equal(e.scale, 0.5);
  assert.deepEqual(e.fixedIntensities, { analytics: 'severe', notification: 'light' });
});

test('bad values say what is valid', () => {
  assert.throws(() => settings(['--intensity', 'processing=extreme']), {
    message: /unknown intensity "extreme".*valid intensities: light, medium, heavy, severe/,
  });
  assert.throws(() => settings(['--intensity', 'foo=heavy']), {
    message: /unknown service "foo".*valid services: api, processing, notification, analytics/,
  });
  assert.throws(() => settings(['--intensity', 'heavy']), /expected <service>=<intensity>/);
  assert.throws(
    () => settings(['--workload-scale', '0']),
    /--workload-scale: must be greater than 0/,
  );
  assert.throws(() => settings(['--workload-scale=-1']), /greater than 0/);
  assert.throws(() => settings(['--workload', 'some']), /expected one of spec, none/);
  assert.throws(() => settings(['--seed', '1.5']), /whole number/);
  assert.throws(() => settings(['--monitor-interval-ms', '1']), /at least 10/);
});

test('workload-mix from the config file overrides a service, field by field', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tracelab-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      'workload-mix': {
        processing: { cpu_heavy: 0.8, io_heavy: 0.2, intensities: ['heavy', 'severe'] },
        api: { io_heavy: 0.9 },
      },
    }),
  );
  const s = settings(['--config', file]);
  assert.deepEqual(s.mixes.processing, {
    cpuHeavy: 0.8,
    ioHeavy: 0.2,
    intensities: ['heavy', 'severe'],
  });
  assert.ok(Math.abs(s.mixes.api.cpuHeavy - 0.1) < 1e-12);
  assert.deepEqual(s.mixes.api.intensities, ['light', 'medium']);
  assert.deepEqual(s.mixes.analytics, SPEC_MIXES.analytics);
});

test('bad workload mixes are refused with a clear message', () => {
  const mix = (value: string) => settings(['--workload-mix', value]);
  assert.throws(() => mix('{'), /--workload-mix: not valid JSON/);
  assert.throws(() => mix('[1]'), /expected a JSON object keyed by service/);
  assert.throws(() => mix('{"billing":{}}'), /unknown service "billing".*valid services/);
  assert.throws(() => mix('{"api":{"cpu_heavy":0.5,"io_heavy":0.6}}'), /must add up to 1/);
  assert.throws(() => mix('{"api":{"cpu_heavy":2}}'), /cpu_heavy must be a number from 0 to 1/);
  assert.throws(() => mix('{"api":{"intensities":[]}}'), /non-empty list/);
  assert.throws(() => mix('{"api":{"intensities":["huge"]}}'), /unknown intensity "huge"/);
  assert.throws(() => mix('{"api":{"cpu":0.5}}'), /unknown field "cpu"/);
  assert.throws(() => mix('{"api":3}'), /expected an object/);
});

test('--help lists every workload option with its environment variable', () => {
  const help = formatHelp('tracelab service <name>', 's', workloadOptions);
  for (const [flag, env] of [
    ['--seed', 'TRACELAB_SEED'],
    ['--workload-scale', 'TRACELAB_WORKLOAD_SCALE'],
    ['--workload', 'TRACELAB_WORKLOAD'],
    ['--intensity', 'TRACELAB_INTENSITY'],
    ['--workload-mix', 'TRACELAB_WORKLOAD_MIX'],
    ['--monitor-interval-ms', 'TRACELAB_MONITOR_INTERVAL_MS'],
    ['--cpu-threshold', 'TRACELAB_CPU_THRESHOLD'],
    ['--memory-threshold-mb', 'TRACELAB_MEMORY_THRESHOLD_MB'],
  ]) {
    assert.match(help, new RegExp(`${flag} .*env: ${env}`));
  }
});
