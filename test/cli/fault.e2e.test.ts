import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

// Nothing from the environment points the CLI elsewhere.
const env = { TRACELAB_ADMIN_URL: '' };
let sys: RunningSystem;

before(async () => {
  sys = await startSystem(['--workload', 'none', '--fault', 'notification.latency=5ms']);
});
after(() => sys?.stop());

const fault = (...args: string[]) =>
  runCli(['fault', ...args, '--admin-url', sys.adminUrl], { env });
const inForce = async () =>
  ((await (await fetch(`${sys.adminUrl}/faults`)).json()) as { effective: string[] }).effective;

test("fault clear clears the run-time faults and names the flags' faults that stay", async () => {
  const set = await fault('set', 'processing.latency=10ms');
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(await inForce(), ['processing.latency=10ms', 'notification.latency=5ms']);

  const cleared = await fault('clear');
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal(
    cleared.stdout,
    "cleared the run-time faults; still in force from tracelab up's --fault flags: notification.latency=5ms (tracelab fault clear --all switches them off too)\n",
  );
  assert.deepEqual(await inForce(), ['notification.latency=5ms']);
});

test("fault clear --all switches the flags' faults off too; list then shows none", async () => {
  const cleared = await fault('clear', '--all');
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.match(cleared.stdout, /switched off every fault.*no faults in force/);
  assert.deepEqual(await inForce(), []);
  assert.equal((await fault('list')).stdout, 'no faults in force\n');

  const misplaced = await fault('list', '--all');
  assert.equal(misplaced.code, 2);
  assert.match(misplaced.stderr, /--all goes with fault clear/);
});
