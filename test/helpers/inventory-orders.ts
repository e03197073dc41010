import assert from 'node:assert/strict';
import { getTrace, tag } from './jaeger.js';
import type { JaegerSpan, JaegerTrace } from './jaeger.js';
import { postOrder, waitForCompleted } from './system.js';
import type { RunningSystem } from './system.js';
import { waitFor } from './wait.js';

export const isPg = (s: JaegerSpan) => tag(s, 'db.system.name') === 'postgresql';
export const statementOf = (s: JaegerSpan) => String(tag(s, 'db.query.text') ?? '');

/**
 * Switches faults through `up`'s admin endpoint without waiting for the services to read them:
 * for a switch whose effect the next step waits for anyway (a `setFaults`, an order completing).
 */
export async function switchFaults(system: RunningSystem, ...set: string[]): Promise<void> {
  const res = await fetch(`${system.adminUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ set }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Switches faults through `up`'s admin endpoint and gives the services time to read them. */
export async function setFaults(system: RunningSystem, ...set: string[]): Promise<void> {
  await switchFaults(system, ...set);
  // Services read the switches each second; inventory applies pool and index on its tick.
  await new Promise((r) => setTimeout(r, 2500));
}

/**
 * Switches inventory's database faults (pool size, lookup index) and waits until each of its
 * `replicas` has said it applied them, as it does on its tick: a pool resized, an index
 * dropped or built again, however long that took.
 */
export async function setDatabaseFaults(
  system: RunningSystem,
  applied: RegExp,
  replicas: number,
  ...set: string[]
): Promise<void> {
  const from = system.output().length;
  await switchFaults(system, ...set);
  const line = new RegExp(`^inventory-service\\S*\\s+\\|.*${applied.source}`, 'gm');
  await waitFor(
    `${replicas} inventory process(es) applying ${set.join(', ')}`,
    () => (system.output().slice(from).match(line)?.length ?? 0) >= replicas,
    20_000,
    50,
  );
}

/**
 * Sends orders at once, waits until they completed and their traces are whole (inventory's
 * COMMIT and analytics' part in, no parent missing); resolves to the traces, in order.
 */
export async function ordersThrough(
  system: RunningSystem,
  items: readonly string[],
): Promise<JaegerTrace[]> {
  const accepted = await Promise.all(
    items.map((item) => postOrder(system.apiUrl, { item, quantity: 1 })),
  );
  // The traces first, read from the collector (untraced, so polled often): an order's trace
  // is whole only once analytics is done, when GET /order (traced itself) reads it completed.
  const traces = await Promise.all(
    accepted.map((a) =>
      waitFor(
        `trace ${a.traceId} with inventory's part`,
        async () => {
          const t = await getTrace(system.queryUrl, a.traceId);
          const ids = new Set(t?.spans.map((s) => s.spanID));
          const whole =
            t?.spans.some((s) => statementOf(s).startsWith('COMMIT')) &&
            t.spans.some((s) => s.operationName === 'analyze_order') &&
            t.spans.every((s) => s.references.every((r) => ids.has(r.spanID)));
          return whole ? t : undefined;
        },
        60_000,
        100,
      ),
    ),
  );
  await waitForCompleted(
    system.apiUrl,
    accepted.map((a) => a.id),
    20_000,
  );
  return traces;
}
