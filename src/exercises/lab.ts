import { setTimeout as sleep } from 'node:timers/promises';
import { apiUnreachableReason, awaitCompletion, runLoad } from '../load/index.js';
import type { LoadPlan, OrderTemplate } from '../load/index.js';
import type { JaegerSpan, JaegerTrace } from '../model/index.js';
import { ORDER_SERVICES } from '../model/index.js';
import { ExerciseError } from './errors.js';

/** A running lab, as an exercise reaches it. */
export interface Lab {
  /** The API service, e.g. http://127.0.0.1:8080. */
  readonly apiUrl: string;
  /** The trace query API (collector or Jaeger), e.g. http://127.0.0.1:16686. */
  readonly queryUrl: string;
  /** One trace from that query API; undefined while it has none. */
  readonly getTrace: (traceId: string) => Promise<JaegerTrace | undefined>;
  /** How long to wait for orders, and then their traces, to complete. */
  readonly settleMs: number;
  /** Progress in words: what the exercise is doing now. */
  readonly progress: (text: string) => void;
}

/** An order the API accepted. */
export interface AcceptedOrder {
  /** 0 for the first order sent in its batch. */
  readonly index: number;
  readonly orderId: string;
  readonly traceId: string;
  readonly intensity?: string;
}

/** One accepted order of an exercise, once analytics has counted it. */
export interface SentOrder extends AcceptedOrder {
  /** Accepted → counted by analytics, ms. */
  readonly endToEndMs: number;
}

/** Sends a batch of orders with the load generator; every one must be accepted. */
export async function send(
  lab: Lab,
  plan: LoadPlan,
  order: OrderTemplate,
  label: string,
): Promise<AcceptedOrder[]> {
  lab.progress(`${label}: sending`);
  const run = await runLoad({
    url: lab.apiUrl,
    plan,
    order,
    onProgress: (p) => lab.progress(`${label}: ${p.sent}/${p.planned} sent`),
  });
  const refused = run.outcomes.filter((o) => !o.orderId);
  if (refused.length > 0) {
    throw new ExerciseError(
      'EX_ERR_NOT_ACCEPTED',
      `${refused.length} of ${run.outcomes.length} orders were not accepted (${refused[0]!.error})`,
    );
  }
  return run.outcomes.map((o) => ({
    index: o.index,
    orderId: o.orderId!,
    traceId: o.traceId!,
    ...(order.intensity ? { intensity: order.intensity } : {}),
  }));
}

/** Waits until analytics has counted every order: an exercise reads only finished orders. */
export async function complete(
  lab: Lab,
  orders: readonly AcceptedOrder[],
  label: string,
): Promise<SentOrder[]> {
  const ids = orders.map((o) => o.orderId);
  const done = await awaitCompletion({
    url: lab.apiUrl,
    orderIds: ids,
    settleMs: lab.settleMs,
    onProgress: (p) =>
      lab.progress(`${label}: ${p.completed}/${p.accepted} orders counted by analytics`),
  });
  if (done.size < ids.length) {
    throw new ExerciseError(
      'EX_ERR_INCOMPLETE',
      `${ids.length - done.size} of ${ids.length} orders did not reach analytics within ${Math.round(lab.settleMs / 1000)} s`,
      { hint: 'the lab may be busy with earlier orders (see `tracelab lag`); raise --settle' },
    );
  }
  return orders.map((o) => ({ ...o, endToEndMs: done.get(o.orderId)!.endToEndMs }));
}

/** Sends a batch and waits until every order completed. */
export async function sendOrders(
  lab: Lab,
  plan: LoadPlan,
  order: OrderTemplate,
  label: string,
): Promise<SentOrder[]> {
  return complete(lab, await send(lab, plan, order, label), label);
}

const STEP_SPANS = ORDER_SERVICES.flatMap((s) => s.steps);
const CONSUMER_SPANS = ORDER_SERVICES.flatMap((s) => (s.consumes ? [`process ${s.consumes}`] : []));

/**
 * An order's trace is complete when every service has exported its part: each step span has
 * its workload span under it, and each hop its consumer span. Services export in batches, so
 * the trace fills in over a few moments after the order completes.
 */
function isCompleteOrderTrace(trace: JaegerTrace): boolean {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const parentOf = (s: JaegerSpan) => {
    const ref = s.references.find((r) => r.refType === 'CHILD_OF');
    return ref ? byId.get(ref.spanID) : undefined;
  };
  const stepsWithWork = new Set(
    trace.spans.flatMap((s) => {
      const parent = parentOf(s);
      return parent && s.tags.some((t) => t.key === 'workload.operation')
        ? [parent.operationName]
        : [];
    }),
  );
  const names = new Set(trace.spans.map((s) => s.operationName));
  return STEP_SPANS.every((s) => stepsWithWork.has(s)) && CONSUMER_SPANS.every((c) => names.has(c));
}

/** Reads each order's trace from the query API, waiting until it is complete. */
export async function readTraces(
  lab: Lab,
  orders: readonly AcceptedOrder[],
): Promise<JaegerTrace[]> {
  const deadline = Date.now() + lab.settleMs;
  const traces = new Map<string, JaegerTrace>();
  for (;;) {
    for (const o of orders) {
      if (traces.has(o.traceId)) continue;
      const t = await lab.getTrace(o.traceId);
      if (t && isCompleteOrderTrace(t)) traces.set(o.traceId, t);
    }
    lab.progress(`reading traces: ${traces.size}/${orders.length} complete`);
    if (traces.size === orders.length) return orders.map((o) => traces.get(o.traceId)!);
    if (Date.now() > deadline) {
      throw new ExerciseError(
        'EX_ERR_INCOMPLETE',
        `${orders.length - traces.size} of ${orders.length} traces were not complete at ${lab.queryUrl} within ${Math.round(lab.settleMs / 1000)} s`,
        { hint: 'check that the services export to this trace backend (--url)' },
      );
    }
    await sleep(500);
  }
}

/** Checks the API answers, so a dead lab gets a quick clear message (the traces' source says so itself). */
export async function checkLab(lab: Lab): Promise<void> {
  const cause = await apiUnreachableReason(lab.apiUrl);
  if (cause !== undefined) {
    throw new ExerciseError(
      'EX_ERR_UNREACHABLE',
      `cannot reach the API at ${lab.apiUrl} (${cause})`,
      {
        hint: 'start the lab with `tracelab up`, or point --api-url at it',
      },
    );
  }
}
