import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type { Bus, IncomingMessage, MessageHandler, Subscription } from '../bus/index.js';
import { DEFAULT_MAX_DELIVERIES, dlqTopic, toDeadLetter } from '../bus/index.js';
import { ATTR_FAULT, InjectedCrash } from '../faults/index.js';
import type { FaultInjector } from '../faults/index.js';
import { decodeOrder, isOrderId, MalformedOrderError, PIPELINE_ORDER } from '../model/index.js';
import type { Order, ServiceDefinition } from '../model/index.js';
import { UnknownOrderError } from '../store/index.js';
import type { OrderStore } from '../store/index.js';
import { finishedWithin } from '../errors/index.js';
import type { Logger } from '../telemetry/index.js';
import { ATTR_DEAD_LETTER, ATTR_DEAD_LETTER_REASON, recordError } from '../telemetry/index.js';
import { DependencyUnavailableError } from './errors.js';
import { runStage } from './stage.js';
import type { StepWorkload } from './stage.js';

export interface ConsumerDeps {
  readonly bus: Bus;
  readonly store: OrderStore;
  readonly workload: StepWorkload;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Failed deliveries of one message before it goes to the dead-letter topic. */
  readonly maxDeliveries?: number;
  /**
   * Failed deliveries, each only because a dependency was down, before the message is
   * dead-lettered all the same: a dependency that never comes back must not redeliver forever.
   */
  readonly maxDependencyDeliveries?: number;
  /** Injected faults for this service (crash, error, latency, leak). */
  readonly faults?: FaultInjector;
  /** Ends the process as a crash would: the message in hand stays pending, redelivered. */
  readonly crash?: () => Promise<never>;
}

export interface ConsumerOptions {
  /** This replica's stable name in the consumer group. */
  readonly consumer: string;
  readonly concurrency: number;
  /** How long stop() lets the messages in hand finish (default 15 s, under up's 20 s). */
  readonly graceMs?: number;
  /** Told what stop() cut short: still in hand when the grace period ran out. */
  readonly onCutShort?: (inHand: readonly CutShort[]) => void;
}

/** A message still in hand when the grace period ran out: left pending, delivered again. */
export interface CutShort {
  readonly messageId: string;
  readonly key: string | undefined;
  readonly deliveryCount: number;
  readonly heldMs: number;
}

export interface ConsumerService {
  start(): Promise<void>;
  /**
   * Takes no new orders; finishes and acknowledges the ones in hand. Past the grace period it
   * resolves anyway, saying what it cut short: those stay pending and are delivered again.
   */
  stop(): Promise<void>;
}

/** What a consumer does with an order once its steps have run, inside its stage span. */
export type FinishOrder = (order: Order, message: IncomingMessage) => Promise<void>;

/** A message delivered more often than the limit, without ever failing in a handler. */
export class DeliveryLimitError extends Error {
  override readonly name = 'DeliveryLimitError';
}

/** A message whose dependency stayed down for more deliveries than its own limit allows. */
export class DependencyLimitError extends Error {
  override readonly name = 'DependencyLimitError';
}

/** Default of `--max-dependency-deliveries`. */
export const DEFAULT_MAX_DEPENDENCY_DELIVERIES = 50;

/**
 * The handler of one consumer service: decode, run the stage, finish. Callable with a message,
 * without a bus, so a service can be checked without sockets. A message it cannot handle is
 * never dropped: after `maxDeliveries` failed deliveries (at once when it is not an order, or
 * an order the store has no record of) it is set aside on `<topic>.dlq` with why, and the
 * order's record and the span say so.
 */
export function createOrderHandler(
  service: ServiceDefinition,
  deps: ConsumerDeps,
  finish: FinishOrder,
): MessageHandler {
  const group = service.serviceName;
  const maxDeliveries = deps.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  const maxDependency = deps.maxDependencyDeliveries ?? DEFAULT_MAX_DEPENDENCY_DELIVERIES;

  const deadLetter = async (message: IncomingMessage, err: unknown, orderId?: string) => {
    const error = {
      type: err instanceof Error ? err.name : 'Error',
      reason: err instanceof Error ? err.message : String(err),
    };
    const atMs = Date.now();
    const span = trace.getActiveSpan();
    span?.setAttributes({ [ATTR_DEAD_LETTER]: true, [ATTR_DEAD_LETTER_REASON]: error.reason });
    span?.addEvent('dead_letter', {
      topic: dlqTopic(message.topic),
      deliveries: message.deliveryCount,
    });
    span?.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${error.reason}` });
    await deps.bus.publish(dlqTopic(message.topic), toDeadLetter(message, group, error, atMs));
    const id = orderId ?? message.key;
    // Only a stage of the order's pipeline marks its record: a side consumer (audit) giving
    // an order up says so on its dead-letter entry, and the order still completes.
    const onPipeline = (PIPELINE_ORDER as readonly string[]).includes(service.kind);
    if (onPipeline && id !== undefined && isOrderId(id)) {
      await deps.store.markDeadLettered(id, service.kind, error.reason, atMs);
    }
    deps.logger.warn('dead-lettered a message', {
      topic: message.topic,
      id: message.messageId,
      deliveries: message.deliveryCount,
      reason: error.reason,
    });
  };

  // Deliveries that failed only because a dependency was down, per message: not the
  // message's fault, so not counted towards its limit (a database outage of a minute
  // dead-letters nothing). Kept in this process; a restart forgets them, erring towards
  // dead-lettering, never towards losing a message.
  const excused = new Map<string, number>();
  const counted = (message: IncomingMessage) =>
    message.deliveryCount - (excused.get(message.messageId) ?? 0);
  const settled = (message: IncomingMessage) => excused.delete(message.messageId);

  return async (message) => {
    if (counted(message) > maxDeliveries) {
      settled(message);
      // Delivered this often without an outcome: it killed or stalled its consumer each time.
      return deadLetter(
        message,
        new DeliveryLimitError(
          `delivered ${message.deliveryCount} times without completing (the consumer stopped each time)`,
        ),
      );
    }
    let order: Order;
    try {
      order = decodeOrder(message.value);
    } catch (err) {
      if (!(err instanceof MalformedOrderError)) throw err;
      // Retrying cannot fix a malformed body: set aside at once.
      const span = trace.getActiveSpan();
      if (span) recordError(span, err);
      return deadLetter(message, err);
    }
    // A stage that passes orders on asks for the record as it starts and has the answer by
    // the time it finishes: an order with no record is never passed on. Analytics needs no
    // question: its count refuses such an order in the same step.
    const check = service.publishes
      ? async () => {
          if (!(await deps.store.has(order.id))) throw new UnknownOrderError(order.id);
        }
      : undefined;
    try {
      await runStage(deps, service, order, () => finish(order, message), check);
      settled(message);
    } catch (err) {
      if (err instanceof DependencyUnavailableError) {
        const times = (excused.get(message.messageId) ?? 0) + 1;
        if (times < maxDependency) {
          excused.set(message.messageId, times);
          // Bounded: the oldest forgotten first (a Map keeps insertion order).
          if (excused.size > 10_000) excused.delete(excused.keys().next().value!);
          throw err;
        }
        settled(message);
        const why = `${err.dependency} unavailable for ${times} deliveries (--max-dependency-deliveries): ${err.message}`;
        return deadLetter(message, new DependencyLimitError(why), order.id);
      }
      if (err instanceof InjectedCrash && deps.crash) {
        // The consumer span ends here, marked, so the trace shows where the process died.
        const span = trace.getActiveSpan();
        span?.setAttribute(ATTR_FAULT, 'crash');
        span?.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        span?.end();
        return deps.crash();
      }
      // An order the API never accepted (or whose record expired) stays unknown on a retry.
      if (!(err instanceof UnknownOrderError) && counted(message) < maxDeliveries) throw err;
      settled(message);
      await deadLetter(message, err, order.id);
    }
  };
}

/**
 * Processing and notification: record the stage done and pass the message on unchanged, side
 * by side (one round trip). The handler has checked the order's record before this runs.
 */
export function passOn(service: ServiceDefinition, deps: ConsumerDeps): FinishOrder {
  const { publishes, kind } = service;
  if (
    !publishes ||
    kind === 'api' ||
    kind === 'analytics' ||
    kind === 'inventory' ||
    kind === 'audit'
  ) {
    throw new Error(`${service.serviceName} passes nothing on`);
  }
  return async (order, message) => {
    await Promise.all([
      deps.bus.publish(publishes, { key: order.id, value: message.value }),
      deps.store.markStage(order.id, kind, Date.now()),
    ]);
  };
}

/** Subscribes a handler as the service's consumer group member. */
export function createConsumerService(
  service: ServiceDefinition,
  bus: Bus,
  handler: MessageHandler,
  options: ConsumerOptions,
): ConsumerService {
  const topic = service.consumes;
  if (!topic) throw new Error(`${service.serviceName} consumes no topic`);
  let subscription: Subscription | undefined;
  const inHand = new Map<IncomingMessage, number>();
  const tracked: MessageHandler = async (message) => {
    inHand.set(message, Date.now());
    try {
      await handler(message);
    } finally {
      inHand.delete(message);
    }
  };
  return {
    async start() {
      subscription = await bus.consume(
        topic,
        {
          group: service.serviceName,
          consumer: options.consumer,
          concurrency: options.concurrency,
        },
        tracked,
      );
    },
    async stop() {
      const stopping = subscription?.stop();
      subscription = undefined;
      if (await finishedWithin(Promise.resolve(stopping), options.graceMs ?? 15_000)) return;
      const now = Date.now();
      options.onCutShort?.(
        [...inHand].map(([m, since]) => ({
          messageId: m.messageId,
          key: m.key,
          deliveryCount: m.deliveryCount,
          heldMs: now - since,
        })),
      );
    },
  };
}
