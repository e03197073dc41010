import assert from 'node:assert/strict';
import { getTrace, tag } from './jaeger.js';
import type { JaegerSpan, JaegerTrace } from './jaeger.js';
import { postOrder, waitForCompleted } from './system.js';
import type { RunningSystem } from './system.js';
import { waitFor } from './wait.js';

export const isPg = (s: JaegerSpan) => tag(s, 'db.system.name') === 'postgresql';
export const statementOf = (s: JaegerSpan) => String(tag(s, 'db.query.text') ?? '');

/** Switches faults through `up`'s admin endpoint and gives the services time to read them. */
export async function setFaults(system: RunningSystem, ...set: string[]): Promise<void> {
  const res = await fetch(`${system.adminUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ set }),
  });
  assert.equal(res.status, 200, await res.text());
  // Services read the switches each second; inventory applies pool and index on its tick.
  await new Promise((r) => setTimeout(r, 2500));
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
  await waitForCompleted(
    system.apiUrl,
    accepted.map((a) => a.id),
    60_000,
  );
  return Promise.all(
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
        20_000,
        300,
      ),
    ),
  );
}
