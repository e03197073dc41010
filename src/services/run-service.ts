import type { Tracer } from '@opentelemetry/api';
import {
  connectRedis,
  createBus,
  DEFAULT_KEY_PREFIX,
  DEFAULT_REDIS_URL,
  withTracing,
} from '../bus/index.js';
import type { BusConfig } from '../bus/index.js';
import { CliError } from '../cli/errors.js';
import { createConsumerService } from '../pipeline/consumer-service.js';
import { SERVICES } from '../pipeline/services.js';
import { createRedisOrderStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { createWorkload } from '../workload/index.js';
import type { WorkloadSettings } from '../workload/index.js';
import type { ServiceKind } from '../workload/types.js';
import { buildApiApp } from './api-app.js';

export interface ServiceRunConfig {
  readonly kind: ServiceKind;
  readonly bus: BusConfig;
  readonly workload: WorkloadSettings;
  readonly host: string;
  readonly apiPort: number;
  readonly concurrency: number;
  /** Names this consumer in its group: a replica number or a host name. */
  readonly replica: string;
}

export interface RunningService {
  /** One line for the log: where it listens or what it consumes. */
  readonly ready: string;
  /** Graceful: no new work, finish the work in hand, close connections. */
  stop(): Promise<void>;
}

/** Connects, builds and starts one service. Everything instrumented loads after telemetry. */
export async function runService(
  config: ServiceRunConfig,
  deps: { tracer: Tracer; logger: Logger },
): Promise<RunningService> {
  const def = SERVICES[config.kind];
  // Orders and workload keys live in Redis whichever bus carries the messages.
  const redis = await connectRedis(config.bus.redisUrl ?? DEFAULT_REDIS_URL);
  const keyPrefix = config.bus.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const bus = withTracing(await createBus(config.bus), { tracer: deps.tracer });
  const store = createRedisOrderStore(redis, { keyPrefix });
  const workload = createWorkload({
    service: config.kind,
    settings: config.workload,
    redis,
    tracer: deps.tracer,
    keyPrefix,
  });
  const closeAll = async () => {
    await workload.close();
    await bus.close();
    redis.disconnect();
  };

  if (config.kind === 'api') {
    const app = buildApiApp({
      bus,
      store,
      workload,
      tracer: deps.tracer,
      logger: deps.logger,
      ping: async () => {
        await redis.ping();
      },
    });
    let address: string;
    try {
      address = await app.listen({ host: config.host, port: config.apiPort });
    } catch (err) {
      await closeAll();
      throw new CliError(
        `cannot listen on ${config.host}:${config.apiPort}: ${(err as Error).message}`,
      );
    }
    return {
      ready: `${def.serviceName}: listening on ${address}`,
      async stop() {
        await app.close();
        await closeAll();
      },
    };
  }

  const consumer = `${def.serviceName}-${config.replica}`;
  const service = createConsumerService(
    def,
    { bus, store, workload, tracer: deps.tracer, logger: deps.logger },
    { consumer, concurrency: config.concurrency },
  );
  await service.start();
  return {
    ready: `${def.serviceName}: consuming ${def.consumes} as ${consumer} (concurrency ${config.concurrency})`,
    async stop() {
      await service.stop();
      await closeAll();
    },
  };
}
