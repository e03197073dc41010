import type { Span, Tracer } from '@opentelemetry/api';
import { recordError } from '../telemetry/record-error.js';
import { ATTR_ORDER_ID } from '../telemetry/semconv.js';
import type { Order } from './order.js';
import type { ServiceDefinition } from './services.js';

/** What a step needs of the workload simulator: run one operation as a child span. */
export interface StepWorkload {
  run(): Promise<unknown>;
}

/** Runs `fn` in an active span; on failure records it the OpenTelemetry way and rethrows. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Record<string, string>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * One service's handling of one order, in the spec's shape: the stage span
 * (`process_order`), one child span per step (`data_transformation`, …) each running one
 * workload, then `finish` (publish downstream, record the result) inside the stage span.
 */
export async function runStage<T>(
  deps: { tracer: Tracer; workload: StepWorkload },
  service: ServiceDefinition,
  order: Pick<Order, 'id'>,
  finish: () => Promise<T>,
): Promise<T> {
  const attrs = { [ATTR_ORDER_ID]: order.id };
  return inSpan(deps.tracer, service.stageSpan, attrs, async () => {
    for (const step of service.steps) {
      await inSpan(deps.tracer, step, attrs, () => deps.workload.run());
    }
    return finish();
  });
}
