import type { Tracer } from '@opentelemetry/api';
import type { FaultInjector } from '../faults/index.js';
import { ATTR_ORDER_ID, inSpan } from '../telemetry/index.js';
import type { Order, ServiceDefinition } from '../model/index.js';

/** What a step needs of the workload simulator: run one operation as a child span. */
export interface StepWorkload {
  run(): Promise<unknown>;
}

/**
 * One service's handling of one order, in the spec's shape: the stage span
 * (`process_order`), one child span per step (`data_transformation`, …) each running one
 * workload, then `finish` (publish downstream, record the result) inside the stage span.
 */
export async function runStage<T>(
  deps: { tracer: Tracer; workload: StepWorkload; faults?: FaultInjector },
  service: ServiceDefinition,
  order: Pick<Order, 'id'>,
  finish: () => Promise<T>,
  /** A check asked first and awaited before `finish`: its round trip rides along with the steps. */
  check?: () => Promise<void>,
): Promise<T> {
  const attributes = { [ATTR_ORDER_ID]: order.id };
  return inSpan(deps.tracer, service.stageSpan, { attributes }, async (span) => {
    const checked = check?.();
    checked?.catch(() => undefined); // Its failure is the stage's, once awaited below.
    await deps.faults?.beforeStage(span);
    for (const step of service.steps) {
      await inSpan(deps.tracer, step, { attributes }, () => deps.workload.run());
    }
    await checked;
    return finish();
  });
}
