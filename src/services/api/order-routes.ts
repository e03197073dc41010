import { randomUUID } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { mayHaveRun } from '../../bus/index.js';
import { encodeOrder, isOrderId, ORDER_REQUEST_SCHEMA, SERVICES } from '../../model/index.js';
import type { Order, OrderRequest } from '../../model/index.js';
import { INTENSITIES, INTENSITY_BAGGAGE_KEY } from '../../workload/index.js';
import type { Intensity } from '../../workload/index.js';
import { ATTR_ORDER_ITEM, ATTR_ORDER_QUANTITY } from '../../telemetry/index.js';
import { InjectedCrash } from '../../faults/index.js';
import { runStage } from '../stage.js';
import type { ApiDeps } from './deps.js';
import { OrderOutcomeUnknown } from './withdrawals.js';
import type { Withdrawals } from './withdrawals.js';
import { errorBody } from './http-errors.js';

const orderQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { intensity: { type: 'string', enum: [...INTENSITIES] } },
} as const;

/** `POST /order` (accepted: stored and published) and `GET /order/:id` (its record). */
export function addOrderRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  withdrawals: Withdrawals,
): void {
  app.post<{ Body: OrderRequest; Querystring: { intensity?: Intensity } }>(
    '/order',
    { schema: { body: ORDER_REQUEST_SCHEMA, querystring: orderQuery } },
    async (request, reply) => {
      const order: Order = {
        id: randomUUID(),
        item: request.body.item,
        quantity: request.body.quantity,
        createdAtMs: Date.now(),
      };
      const traceId = await context
        .with(withIntensity(context.active(), request.query.intensity), () =>
          runStage(deps, SERVICES.api, order, () => acceptOrder(deps, withdrawals, order)),
        )
        .catch((err: unknown) => {
          if (err instanceof InjectedCrash && deps.crash) return deps.crash();
          throw err;
        });
      return reply
        .status(202)
        .header('location', `/order/${order.id}`)
        .send({ id: order.id, traceId, status: 'accepted' });
    },
  );

  app.get<{ Params: { id: string } }>('/order/:id', async (request, reply) => {
    const { id } = request.params;
    if (!isOrderId(id)) {
      return reply
        .status(400)
        .send(
          errorBody(400, 'ERR_BAD_ORDER_ID', 'Bad Request', `"${id}" is not an order id (a UUID)`),
        );
    }
    const record = await deps.store.get(id);
    if (!record) {
      return reply
        .status(404)
        .send(errorBody(404, 'ERR_ORDER_NOT_FOUND', 'Not Found', `no order ${id}`));
    }
    return record;
  });
}

/** A forced intensity travels as baggage, so every service downstream honours it. */
function withIntensity(ctx: Context, intensity: Intensity | undefined): Context {
  if (!intensity) return ctx;
  const baggage = (propagation.getBaggage(ctx) ?? propagation.createBaggage()).setEntry(
    INTENSITY_BAGGAGE_KEY,
    { value: intensity },
  );
  return propagation.setBaggage(ctx, baggage);
}

/**
 * Not published means not accepted: its record goes, and a message that did get out is then
 * dead-lettered by processing, not counted. Resolves false once no record is left; true when
 * processing has taken the order already (so it was published, and is accepted). With Redis
 * away the removal waits in `withdrawals`, and the outcome is unknown until it lands.
 */
async function withdraw(
  deps: ApiDeps,
  withdrawals: Withdrawals,
  orderId: string,
  err: unknown,
): Promise<boolean> {
  let removed: boolean;
  try {
    removed = await deps.store.remove(orderId);
  } catch {
    withdrawals.add(orderId);
    throw mayHaveRun(err) ? new OrderOutcomeUnknown(orderId, err) : err;
  }
  return !removed;
}

/** Inside the `create_order` stage: store the order, publish it; resolves with its trace id. */
async function acceptOrder(deps: ApiDeps, withdrawals: Withdrawals, order: Order): Promise<string> {
  const api = SERVICES.api;
  const span = trace.getActiveSpan();
  // What was ordered, on the stage span: a trace can be found by its item.
  span?.setAttributes({
    [ATTR_ORDER_ITEM]: order.item,
    [ATTR_ORDER_QUANTITY]: order.quantity,
  });
  const id = span?.spanContext().traceId ?? '';
  await deps.store.create(order, id);
  const message = { key: order.id, value: encodeOrder(order) };
  try {
    await deps.bus.publish(api.publishes!, message);
  } catch (err) {
    if (!(await withdraw(deps, withdrawals, order.id, err))) throw err;
    // Published after all (the reply was lost, not the message), and processing has it.
  }
  // A queue flood on demand: the same order again and again; counted once downstream.
  const copies = span && deps.faults ? deps.faults.duplicates(span) : 0;
  for (let i = 0; i < copies; i++) {
    // A copy that fails is on its own send span; the order itself was accepted.
    await deps.bus.publish(api.publishes!, message).catch(() => undefined);
  }
  return id;
}
