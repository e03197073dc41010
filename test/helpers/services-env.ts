import { after, before } from 'node:test';
import type { Bus } from '../../src/bus/index.js';
import { createRedisStreamsBus } from '../../src/bus/redis-streams.js';
import { parseCommandLine } from '../../src/config/index.js';
import { createRedisOrderStore } from '../../src/store/index.js';
import type { OrderStore } from '../../src/store/index.js';
import { createWorkload, workloadOptions, workloadSettingsFrom } from '../../src/workload/index.js';
import type { Workload } from '../../src/workload/index.js';
import { REDIS_URL } from './redis.js';
import { memoryTracing, testRedis } from './workload-env.js';

/**
 * The services' adapters without sockets, for one `describe`: a real Redis Streams bus and a
 * real store under a private key prefix (removed after), no workload, spans kept in memory.
 * The getters are valid once the suite's `before` has run.
 */
export function servicesWithoutSockets() {
  const tracing = memoryTracing();
  const env = testRedis();
  let bus: Bus | undefined;
  let store: OrderStore | undefined;
  let workload: Workload | undefined;
  before(async () => {
    bus = await createRedisStreamsBus({ redisUrl: REDIS_URL, keyPrefix: env.prefix, blockMs: 200 });
    store = createRedisOrderStore(env.redis, { keyPrefix: env.prefix });
    const settings = workloadSettingsFrom(
      parseCommandLine(workloadOptions, ['--workload', 'none'], {}).values,
    );
    workload = createWorkload({
      service: 'api',
      settings,
      redis: env.redis,
      tracer: tracing.tracer,
    });
  });
  after(async () => {
    await workload?.close();
    await bus?.close();
    await env.cleanup();
    await tracing.shutdown();
  });
  return {
    tracing,
    env,
    get bus() {
      return bus!;
    },
    get store() {
      return store!;
    },
    get workload() {
      return workload!;
    },
  };
}
