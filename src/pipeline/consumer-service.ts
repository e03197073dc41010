import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type { Bus, IncomingMessage, Subscription } from '../bus/types.js';
import type { OrderStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { decodeOrder, MalformedOrderError } from './order.js';
import type { ServiceDefinition } from './services.js';
import { recordError } from '../telemetry/record-error.js';
import { runStage } from './stage.js';
import type { StepWorkload } from './stage.js';

export interface ConsumerServiceDeps {
  readonly bus: Bus;
  readonly store: OrderStore;
  readonly workload: StepWorkload;
  readonly tracer: Tracer;
  readonly logger: Logger;
}

export interface ConsumerServiceOptions {
  /** This replica's stable name in the consumer group. */
  readonly consumer: string;
  readonly concurrency: number;
}

export interface ConsumerService {
  start(): Promise<void>;
  /** Takes no new orders; finishes and acknowledges the ones in hand. */
  stop(): Promise<void>;
}

/** Processing, notification and analytics: consume, run the stage, pass the order on. */
export function createConsumerService(
  service: ServiceDefinition,
  deps: ConsumerServiceDeps,
  options: ConsumerServiceOptions,
): ConsumerService {
  if (!service.consumes) throw new Error(`${service.serviceName} consumes no topic`);
  const topic = service.consumes;
  let subscription: Subscription | undefined;

  const handle = async (message: IncomingMessage): Promise<void> => {
    let order;
    try {
      order = decodeOrder(message.value);
    } catch (err) {
      if (!(err instanceof MalformedOrderError)) throw err;
      // Retrying cannot fix a malformed body: record it and let it be acknowledged.
      const span = trace.getActiveSpan();
      if (span) recordError(span, err);
      deps.logger.warn('dropped a malformed message', {
        topic,
        id: message.messageId,
        reason: err.message,
      });
      return;
    }
    const current = order;
    await runStage(deps, service, current, async () => {
      const now = Date.now();
      if (service.publishes) {
        await Promise.all([
          deps.bus.publish(service.publishes, { key: current.id, value: message.value }),
          deps.store.markStage(current.id, service.kind as 'processing' | 'notification', now),
        ]);
      } else {
        await deps.store.recordAnalytics(current, now);
      }
    });
  };

  return {
    async start() {
      subscription = await deps.bus.consume(
        topic,
        {
          group: service.serviceName,
          consumer: options.consumer,
          concurrency: options.concurrency,
        },
        handle,
      );
    },
    async stop() {
      await subscription?.stop();
      subscription = undefined;
    },
  };
}
