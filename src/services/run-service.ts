import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import {
  connectionDown,
  connectRedis,
  consumerName,
  createBus,
  DEFAULT_KEY_PREFIX,
  nowUnreachable,
  withTracing,
} from '../bus/index.js';
import type { Bus } from '../bus/index.js';
import { DEFAULT_REDIS_URL } from '../config/index.js';
import { withTimeout } from '../errors/index.js';
import { SERVICES } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import type { FaultInjector } from '../faults/index.js';
import { createRedisAuditLog, createRedisOrderStore } from '../store/index.js';
import type { OrderStore } from '../store/index.js';
import { allowedHostNames, bindWarning, listenFailure } from '../http-guard/index.js';
import { withAuditTracing, withStoreTracing } from './traced-store.js';
import { DEFAULT_RESILIENCE, redisResilienceState, watchResilience } from '../workload/index.js';
import type { Workload } from '../workload/index.js';
import { createAnalyticsHandler } from './analytics/index.js';
import { createAuditHandler } from './audit/index.js';
import { createConsumerService } from './consumer.js';
import type { ConsumerDeps } from './consumer.js';
import { createNotificationHandler } from './notification/index.js';
import { createInventoryClient, createProcessingHandler } from './processing/index.js';
import type { InventoryClient } from './processing/index.js';
import { ServiceError } from './errors.js';
import { crashProcess, workloadAndFaults } from './process-parts.js';
import type { RunningService, ServiceRunConfig, ServiceRunDeps } from './run-types.js';

/** How long /health waits for Redis's PONG: under the app's own 1 s cut-off, so it says why. */
const PING_TIMEOUT_MS = 800;

const HANDLERS = {
  processing: createProcessingHandler,
  notification: createNotificationHandler,
  analytics: createAnalyticsHandler,
  audit: createAuditHandler,
} as const;

/** Connects, builds and starts one service. Everything instrumented loads after telemetry. */
export async function runService(
  config: ServiceRunConfig,
  deps: ServiceRunDeps,
): Promise<RunningService> {
  const { kind } = config;
  // Inventory answers over HTTP and keeps its stock in PostgreSQL: no bus, no order store.
  if (kind === 'inventory')
    return (await import('./inventory/start.js')).startInventory(config, deps);
  const adapters = await connectAdapters({ ...config, kind }, deps);
  return kind === 'api'
    ? startApi(config, deps, adapters)
    : startConsumer({ ...config, kind }, deps, adapters);
}

/** What every service works with, connected. */
interface Adapters {
  /** The workload's own connection, also the one /health pings. */
  readonly redis: Redis;
  /** The auto-pipelined connection the store and the Redis bus share. */
  readonly shared: Redis;
  readonly bus: Bus;
  readonly store: OrderStore;
  readonly workload: Workload;
  readonly faults: FaultInjector;
  /** Stops reading the run-time switches (faults, intensity). */
  readonly stopWatching: () => void;
  /** An injected crash: the spans so far are sent, then the process dies as if killed. */
  readonly crash: () => Promise<never>;
  readonly closeAll: () => Promise<void>;
}

async function connectAdapters(
  config: ServiceRunConfig & { readonly kind: Exclude<ServiceKind, 'inventory'> },
  deps: ServiceRunDeps,
): Promise<Adapters> {
  // Orders and workload keys live in Redis whichever bus carries the messages.
  const redisUrl = config.bus.redisUrl ?? DEFAULT_REDIS_URL;
  const redis = await connectRedis(redisUrl);
  // The store and the Redis bus publish on one auto-pipelined connection: a stage's record
  // update and its publish go out in one write. The workload keeps its own connection, so its
  // I/O is timed as the commands it sends, never batched with ours.
  const shared = await connectRedis(redisUrl, { autoPipelining: true });
  const keyPrefix = config.bus.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const parts = workloadAndFaults(config.kind, config, deps, redis, keyPrefix);
  const { workload, faults } = parts;
  const bus = withTracing(await createBus(config.bus, { redis: shared }), {
    tracer: deps.tracer,
    propagates: (span) => faults.propagates(span),
    propagation: config.propagation ?? 'child',
  });
  const store = withStoreTracing(createRedisOrderStore(shared, { keyPrefix }), deps.tracer);
  return {
    redis,
    shared,
    bus,
    store,
    workload,
    faults,
    stopWatching: parts.stopWatching,
    crash: crashProcess(deps),
    closeAll: async () => {
      await parts.close();
      await bus.close();
      redis.disconnect();
      shared.disconnect();
    },
  };
}

async function startApi(
  config: ServiceRunConfig,
  deps: ServiceRunDeps,
  adapters: Adapters,
): Promise<RunningService> {
  const def = SERVICES[config.kind];
  const { redis, shared, bus, store, workload, faults, crash, closeAll } = adapters;
  // Loaded only here: fastify and its plugins are memory a consumer service never uses.
  const { buildApiApp } = await import('./api/index.js');
  const app = buildApiApp({
    bus,
    store,
    workload,
    tracer: deps.tracer,
    logger: deps.logger,
    faults,
    crash,
    allowedHosts: allowedHostNames({ bindHost: config.host, publicHosts: config.publicHosts }),
    ping: async () => {
      // A connection that is down says so at once; only a ready one is asked.
      const down = connectionDown(redis) ?? connectionDown(shared);
      if (down) throw new Error(`Redis is unreachable (${down})`);
      // A connection that notices between the check above and the ping fails the ping.
      const answered = redis.ping().catch((err: unknown) => {
        throw nowUnreachable('Redis', err);
      });
      // A connection that has not noticed yet is just as down to a caller who waits.
      await withTimeout(
        answered,
        PING_TIMEOUT_MS,
        () => new Error(`Redis is unreachable (no answer within ${PING_TIMEOUT_MS} ms)`),
      );
      // Orders go out on the bus: a bus that is down (a Kafka broker, the connection that
      // publishes) is an API that is down.
      await bus.ping();
    },
  });
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.apiPort });
  } catch (err) {
    await closeAll();
    const where = {
      host: config.host,
      port: config.apiPort,
      portFlag: '--api-port',
      hostFlag: '--host',
    };
    throw new ServiceError(
      'SVC_ERR_LISTEN',
      listenFailure(err, where) ??
        `cannot listen on ${config.host}:${config.apiPort}: ${(err as Error).message}`,
    );
  }
  const warning = bindWarning(
    'the API',
    config.host,
    [(app.server.address() as AddressInfo).port],
    'place orders',
  );
  if (warning) process.stderr.write(`tracelab: ${warning}\n`);
  return {
    ready: `${def.serviceName}: listening on ${address}`,
    urls: { api: address },
    async stop() {
      await app.close();
      await closeAll();
    },
  };
}

async function startConsumer(
  config: ServiceRunConfig & { readonly kind: keyof typeof HANDLERS },
  deps: ServiceRunDeps,
  adapters: Adapters,
): Promise<RunningService> {
  const def = SERVICES[config.kind];
  const { redis, shared, bus, store, workload, faults, stopWatching, crash, closeAll } = adapters;
  const consumer = consumerName(def.serviceName, config.replica, config.runId);
  let cutShort = false;
  const handlerDeps: ConsumerDeps = {
    bus,
    store,
    workload,
    tracer: deps.tracer,
    logger: deps.logger,
    maxDeliveries: config.maxDeliveries,
    ...(config.maxDependencyDeliveries !== undefined
      ? { maxDependencyDeliveries: config.maxDependencyDeliveries }
      : {}),
    faults,
    crash,
  };
  const urls = config.kind === 'processing' ? (config.inventoryUrls ?? []) : [];
  const { inventory, stopInventory } = inventoryCaller(config, urls, redis);
  const handler = HANDLERS[config.kind]({
    ...handlerDeps,
    ...(inventory ? { inventory } : {}),
    // Audit's own records, on the connection the store uses, under the same key prefix.
    audit: withAuditTracing(
      createRedisAuditLog(shared, { keyPrefix: config.bus.keyPrefix ?? DEFAULT_KEY_PREFIX }),
      deps.tracer,
    ),
  });
  const service = createConsumerService(def, bus, handler, {
    consumer,
    concurrency: config.concurrency,
    graceMs: config.stopGraceMs,
    onCutShort: (cut) => {
      cutShort = true;
      for (const c of cut) {
        deps.logger.warn('grace period over: cut short, left pending to be delivered again', {
          order: c.key,
          message: c.messageId,
          deliveries: c.deliveryCount,
          held_ms: c.heldMs,
        });
      }
    },
  });
  await service.start();
  const calls = inventory ? `, reserving with inventory at ${urls.join(', ')}` : '';
  return {
    ready: `${def.serviceName}: consuming ${def.consumes} as ${consumer} (concurrency ${config.concurrency})${calls}`,
    urls: {},
    async stop() {
      await service.stop();
      stopInventory();
      if (cutShort) {
        // The bus would wait for the handlers still running: drop the connections instead;
        // what they held stays pending.
        stopWatching();
        redis.disconnect();
        shared.disconnect();
        return;
      }
      await closeAll();
    },
  };
}

/**
 * Processing's client of inventory, under the flags' policies with the run-time switches
 * (`<prefix>resilience`, read each second) over them; none without inventory URLs.
 */
function inventoryCaller(
  config: ServiceRunConfig,
  urls: readonly string[],
  redis: Redis,
): { inventory: InventoryClient | undefined; stopInventory: () => void } {
  if (urls.length === 0) return { inventory: undefined, stopInventory: () => undefined };
  const flags = config.inventoryPolicy ?? DEFAULT_RESILIENCE;
  const watch = watchResilience(
    redisResilienceState(redis, config.bus.keyPrefix ?? DEFAULT_KEY_PREFIX),
  );
  const inventory = createInventoryClient({
    urls,
    policy: () => ({ ...flags, ...watch.current() }),
  });
  return {
    inventory,
    stopInventory: () => {
      watch.close();
      inventory.close();
    },
  };
}
