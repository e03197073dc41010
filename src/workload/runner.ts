import { randomInt } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
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
import { WorkloadError } from './errors.js';
import { runCpuOperation } from './operations/cpu.js';
import { runIoOperation } from './operations/io.js';
import { forcedIntensity, mulberry32, planWorkload, serviceSeed } from './plan.js';
import { createCpuPool } from './pool.js';
import type { CpuPool } from './pool.js';
import { INTENSITY_BAGGAGE_KEY } from './types.js';
import type {
  CpuOperation,
  Intensity,
  IoOperation,
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
}

export interface RunOptions {
  /** Wins over baggage, `--intensity` and the mix. */
  readonly intensity?: Intensity;
  /** Wins over the mix's CPU/I-O split. */
  readonly type?: WorkloadType;
}

export interface Workload {
  /**
   * Plans one workload and runs it as a child span of the active context, named after the
   * operation. Resolves to the plan, or undefined when workloads are off (`--workload none`:
   * no span at all). Rethrows the operation's error after recording it on the span.
   */
  run(options?: RunOptions): Promise<WorkloadPlan | undefined>;
  /** Stops the CPU pool and the monitor the runner made. */
  close(): Promise<void>;
}

const CPU_OPERATIONS = new Set<string>([
  'json_processing',
  'hash_computation',
  'intensive_prime_computation',
  'extreme_cpu_computation',
]);

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
  let pool: CpuPool | undefined;
  let closed = false;
  const getPool = (): CpuPool => (pool ??= createCpuPool());

  async function execute(plan: WorkloadPlan, ledger: ThreadCpuLedger | undefined): Promise<void> {
    if (CPU_OPERATIONS.has(plan.operation)) {
      await runCpuOperation(plan.operation as CpuOperation, plan.items, getPool, ledger);
    } else {
      await runIoOperation(plan.operation as IoOperation, plan.items, ioDeps);
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
      });
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
            await context.with(suppressTracing(context.active()), () => execute(plan, mark));
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
      await Promise.all([pool?.close(), ownMonitor?.close()]);
    },
  };
}
