import { randomInt } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Redis } from 'ioredis';
import type { ServiceKind } from '../model/index.js';
import { createResourceMonitor } from '../monitor/index.js';
import type { ResourceMonitor, ThreadCpuLedger } from '../monitor/index.js';
import {
  ATTR_WORKLOAD_INTENSITY,
  ATTR_WORKLOAD_ITEMS,
  ATTR_WORKLOAD_OPERATION,
  ATTR_WORKLOAD_TYPE,
  inSpan,
} from '../telemetry/index.js';
import { dbAttributes, networkAttributes } from './attributes.js';
import { WorkloadError } from './errors.js';
import { runCpuOperation } from './operations/cpu.js';
import { runDbOperation } from './operations/db.js';
import type { WorkloadDatabase } from './operations/db.js';
import { runIoOperation } from './operations/io.js';
import { runNetworkOperation, startEchoServer } from './operations/network.js';
import type { EchoServer } from './operations/network.js';
import { forcedIntensity, mulberry32, planWorkload, serviceSeed } from './plan.js';
import { createCpuPool } from './pool.js';
import type { CpuPool } from './pool.js';
import { INTENSITY_BAGGAGE_KEY } from './types.js';
import type {
  CpuOperation,
  DbOperation,
  Intensity,
  IoOperation,
  NetworkOperation,
  WorkloadPlan,
  WorkloadSettings,
  WorkloadType,
} from './types.js';

export interface WorkloadDeps {
  readonly service: ServiceKind;
  readonly settings: WorkloadSettings;
  readonly redis: Redis;
  readonly tracer: Tracer;
  /** Prefix of every Redis key (default `tracelab:`); workload keys go under `<prefix>workload:`. */
  readonly keyPrefix?: string;
  /** Shared monitor; the caller closes it. Without one, the runner makes (and closes) its own. */
  readonly monitor?: ResourceMonitor;
  /** The intensity switched on this service at run time, asked at each run (see intensity-state.ts). */
  readonly runtimeIntensity?: () => Intensity | undefined;
  /** TTL of every Redis key the I/O operations write (default 60 s). */
  readonly ttlSeconds?: number;
  /** Folder for the I/O operations' `tracelab-*` temp folders (default: the OS temp folder). */
  readonly tmpRoot?: string;
  /**
   * The service's database, holding the inventory schema: db_heavy work runs on it. Without
   * one the service never draws db_heavy, whatever its mix says. The caller closes it.
   */
  readonly database?: WorkloadDatabase;
}

export interface RunOptions {
  /** Wins over baggage, `--intensity` and the mix. */
  readonly intensity?: Intensity;
  /** Wins over the mix's shares (db_heavy fails without a database). */
  readonly type?: WorkloadType;
}

export interface Workload {
  /**
   * Plans one workload and runs it as a child span of the active context, named after the
   * operation. Resolves to the plan, or undefined when workloads are off (`--workload none`:
   * no span at all). Rethrows the operation's error after recording it on the span.
   */
  run(options?: RunOptions): Promise<WorkloadPlan | undefined>;
  /** Stops the CPU pool, the echo server and the monitor the runner made. */
  close(): Promise<void>;
}

export function createWorkload(deps: WorkloadDeps): Workload {
  const { settings, service, tracer } = deps;
  const random = mulberry32(serviceSeed(settings.seed ?? randomInt(2 ** 32), service));
  const ownMonitor =
    deps.monitor === undefined && settings.mode !== 'none' && settings.monitor.enabled
      ? createResourceMonitor(settings.monitor)
      : undefined;
  const monitor = deps.monitor ?? ownMonitor;
  const ioDeps = {
    redis: deps.redis,
    keyPrefix: deps.keyPrefix ?? 'tracelab:',
    ttlSeconds: deps.ttlSeconds ?? 60,
    ...(deps.tmpRoot ? { tmpRoot: deps.tmpRoot } : {}),
  };
  const unavailable: WorkloadType[] = deps.database ? [] : ['db_heavy'];
  let pool: CpuPool | undefined;
  let echo: Promise<EchoServer> | undefined;
  let closed = false;
  const getPool = (): CpuPool => (pool ??= createCpuPool());
  /** Opened on the first network run, so services that never draw one never listen. */
  const echoServer = (): Promise<EchoServer> => {
    echo ??= startEchoServer().catch((err: unknown) => {
      echo = undefined;
      throw new WorkloadError('WL_ERR_NETWORK', (err as Error).message, { cause: err });
    });
    return echo;
  };

  /** Runs the plan; resolves to what it did, as span attributes. */
  async function execute(
    plan: WorkloadPlan,
    ledger: ThreadCpuLedger | undefined,
  ): Promise<Attributes> {
    switch (plan.type) {
      case 'cpu_heavy':
        await runCpuOperation(plan.operation as CpuOperation, plan.items, getPool, ledger);
        return {};
      case 'io_heavy':
        await runIoOperation(plan.operation as IoOperation, plan.items, ioDeps);
        return {};
      case 'db_heavy':
        return dbAttributes(
          await runDbOperation(plan.operation as DbOperation, plan.items, deps.database!),
        );
      case 'network_heavy': {
        const { port } = await echoServer();
        return networkAttributes(
          await runNetworkOperation(plan.operation as NetworkOperation, plan.items, port),
        );
      }
    }
  }

  return {
    async run(options = {}) {
      if (closed) throw new WorkloadError('WL_ERR_CLOSED');
      if (settings.mode === 'none') return undefined;
      const active = context.active();
      const plan = planWorkload(random, {
        mix: settings.mixes[service],
        scale: settings.scale,
        intensity: forcedIntensity({
          requested: options.intensity,
          baggage: propagation.getBaggage(active)?.getEntry(INTENSITY_BAGGAGE_KEY)?.value,
          runtime: deps.runtimeIntensity?.(),
          fixed: settings.fixedIntensities[service],
        }),
        ...(options.type ? { type: options.type } : {}),
        unavailable,
      });
      if (plan.type === 'db_heavy' && !deps.database) throw new WorkloadError('WL_ERR_NO_DATABASE');
      const attributes = {
        [ATTR_WORKLOAD_TYPE]: plan.type,
        [ATTR_WORKLOAD_INTENSITY]: plan.intensity,
        [ATTR_WORKLOAD_OPERATION]: plan.operation,
        [ATTR_WORKLOAD_ITEMS]: plan.items,
      };
      return inSpan(
        tracer,
        plan.operation,
        { attributes },
        async (span) => {
          const mark = monitor?.begin();
          try {
            // One span per Redis command of a 700k-command operation would drown the trace:
            // the workload span describes the work, so instrumentation is quiet inside it.
            const done = await context.with(suppressTracing(context.active()), () =>
              execute(plan, mark),
            );
            span.setAttributes(done);
            return plan;
          } finally {
            // Before the span ends: the figures are attributes of it.
            if (mark && monitor) monitor.finish(mark, span);
          }
        },
        active,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      const server = echo?.catch(() => undefined);
      await Promise.all([pool?.close(), ownMonitor?.close(), server?.then((s) => s?.close())]);
    },
  };
}
