import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOUSEKEEPING_HEADERS } from '../../src/load/index.js';
import { HOUSEKEEPING_HEADER } from '../../src/telemetry/index.js';

test('load marks its polling with the header the services leave untraced', () => {
  assert.deepEqual(Object.keys(HOUSEKEEPING_HEADERS), [HOUSEKEEPING_HEADER]);
});
