import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeClear } from '../../src/cli/fault.js';

test("fault clear names the flags' faults that stay in force, and how to switch them off", () => {
  assert.equal(
    describeClear(['processing.crash=0.1', 'notification.latency=2s'], false),
    "cleared the run-time faults; still in force from tracelab up's --fault flags: processing.crash=0.1, notification.latency=2s (tracelab fault clear --all switches them off too)\n",
  );
  assert.equal(describeClear([], false), 'cleared the run-time faults; no faults in force\n');
});

test('fault clear --all says every fault is off', () => {
  assert.equal(
    describeClear([], true),
    "switched off every fault, those of tracelab up's --fault flags too; no faults in force\n",
  );
});
