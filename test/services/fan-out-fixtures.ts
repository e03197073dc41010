/** What the fan-out tests share: sending orders, reading both groups' lag, the audit check. */
import assert from 'node:assert/strict';
import type { AuditLog } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { postOrder, waitForCompleted } from '../helpers/system.js';
import type { Accepted, RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const env = { TRACELAB_BUS: '', REDIS_URL: '', TRACELAB_KEY_PREFIX: '', TRACELAB_ADMIN_URL: '' };

export interface LagRow {
  group: string;
  topic: string;
  lag: number;
  pending?: number;
}

/** `tracelab lag --json` on the lab's bus, the notified-orders rows summed per group. */
export async function notifiedLag(busArgs: readonly string[]): Promise<Map<string, number>> {
  const r = await runCli(['lag', ...busArgs, '--topic', 'notified-orders', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const byGroup = new Map<string, number>();
  for (const e of JSON.parse(r.stdout) as LagRow[]) {
    // Not yet acknowledged counts too: a slow consumer holds what it was handed.
    const backlog = e.lag + (e.pending ?? 0);
    byGroup.set(e.group, (byGroup.get(e.group) ?? 0) + backlog);
  }
  return byGroup;
}

export async function sendOrders(sys: RunningSystem, n: number, tag: string): Promise<Accepted[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      postOrder(sys.apiUrl, { item: `${tag}-${i}`, quantity: 2 }),
    ),
  );
}

export async function analyticsOrders(sys: RunningSystem): Promise<number> {
  return ((await (await fetch(`${sys.apiUrl}/analytics`)).json()) as { orders: number }).orders;
}

/** Every order audited once and counted once by analytics: both figures equal to those sent. */
export async function auditedAndCounted(
  sys: RunningSystem,
  audit: AuditLog,
  sent: readonly Accepted[],
): Promise<void> {
  await waitForCompleted(
    sys.apiUrl,
    sent.map((a) => a.id),
    90_000,
  );
  await waitFor(
    `${sent.length} orders audited`,
    async () => (await audit.count()) === sent.length,
    60_000,
    250,
  );
  for (const a of sent) assert.ok((await audit.auditedAt(a.id)) !== undefined, a.id);
  assert.equal(await analyticsOrders(sys), sent.length);
  assert.equal(await audit.count(), sent.length);
}
