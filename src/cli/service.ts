import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { hostname } from 'node:os';
import { collectWhenIdle, createResourceMonitor } from '../monitor/index.js';
import type { ResourceMonitor } from '../monitor/index.js';
import { tellReady, watchParent } from '../supervisor/index.js';
import { createLogger, startTelemetry } from '../telemetry/index.js';
import type { LogLevel } from '../telemetry/index.js';
import { SERVICES, SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { busConfigFrom, busOptions } from '../bus/index.js';
import type { PropagationMode } from '../bus/index.js';
import { resiliencePolicyFrom, workloadOptions, workloadSettingsFrom } from '../workload/index.js';
import { faultSetFrom } from './faults.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import { serviceOptions } from './service-options.js';
import { runService } from '../services/index.js';

const replicaOption: OptionSpec = {
  name: 'replica',
  type: 'number',
  env: 'TRACELAB_REPLICA',
  integer: true,
  min: 1,
  description:
    'replica number: names this consumer in its group, stable across restarts (default: the host name, unique per container)',
};

const runIdOption: OptionSpec = {
  name: 'run-id',
  type: 'string',
  env: 'TRACELAB_RUN_ID',
  description:
    "tracelab up's run, given by up: added to the consumer's name, so two runs never share one",
};

export const options: readonly OptionSpec[] = [
  ...serviceOptions,
  replicaOption,
  runIdOption,
  ...busOptions,
  ...workloadOptions,
];

export const command = defineCommand({
  name: 'service',
  summary: 'run one service: api, processing, notification, analytics, inventory or audit',
  usage: `service <${SERVICE_KINDS.join('|')}> [options]`,
  options,
  async run({ values, positionals }) {
    const kind = positionals[0] as ServiceKind | undefined;
    if (!kind || !SERVICE_KINDS.includes(kind) || positionals.length > 1) {
      throw new CliError(
        `name one service: ${SERVICE_KINDS.join(', ')} (got "${positionals.join(' ')}")`,
      );
    }
    const runId = opt.maybeStr(values, 'run-id');
    if (runId !== undefined && !/^[0-9a-f]{8}$/.test(runId)) {
      throw new CliError(`--run-id is 8 hex digits, as tracelab up gives it (got "${runId}")`);
    }
    const bus = { ...busConfigFrom(values), readAheadMs: opt.num(values, 'read-ahead-ms') };
    const workload = workloadSettingsFrom(values);
    const faults = faultSetFrom(opt.list(values, 'fault'));
    const def = SERVICES[kind];
    // A consumer that restarts under the same name takes back the messages it held.
    const replica = String(opt.maybeNum(values, 'replica') ?? hostname());
    const logger = createLogger(opt.str(values, 'log-level') as LogLevel);

    // The sampler runs whatever the workload (its readings are exported as metrics too),
    // unless --monitor off. With no workload nothing blocks the event loop for long, so a
    // timer on the main thread samples as regularly as a thread, without its memory.
    const monitor = workload.monitor.enabled
      ? createResourceMonitor({
          ...workload.monitor,
          sampler: workload.mode === 'none' ? 'main' : 'thread',
        })
      : undefined;
    const telemetry = await startServiceTelemetry(values, {
      serviceName: def.serviceName,
      replica,
      warn: (line) => logger.warn(line),
      ...(monitor ? { monitor } : {}),
    });
    let running;
    try {
      running = await runService(
        {
          kind,
          bus,
          workload,
          host: opt.str(values, 'host'),
          publicHosts: opt.list(values, 'public-host'),
          apiPort: opt.num(values, 'api-port'),
          concurrency: opt.num(values, 'concurrency'),
          maxDeliveries: opt.num(values, 'max-deliveries'),
          maxDependencyDeliveries: opt.num(values, 'max-dependency-deliveries'),
          faults,
          replica,
          runId,
          stopGraceMs: opt.num(values, 'stop-grace-ms'),
          inventoryPort: opt.num(values, 'inventory-port'),
          inventoryUrls: opt.list(values, 'inventory-url'),
          inventoryPolicy: resiliencePolicyFrom(values),
          databaseUrl: opt.maybeStr(values, 'database-url'),
          databasePool: opt.num(values, 'database-pool'),
          propagation: opt.str(values, 'propagation') as PropagationMode,
        },
        {
          tracer: telemetry.tracer,
          logger,
          ...(monitor ? { monitor } : {}),
          flush: () => telemetry.flush(),
        },
      );
    } catch (err) {
      await telemetry.shutdown().catch(() => undefined);
      await monitor?.close();
      throw err;
    }
    process.stdout.write(`${running.ready}\n`);
    tellReady(running.urls);
    const stopCollecting = collectWhenIdle();

    const code = await untilStopped((why) => {
      logger.info(`${why}: finishing the work in hand`);
      return running
        .stop()
        .then(() => telemetry.shutdown())
        .then(() => monitor?.close())
        .then(
          () => 0,
          (err: unknown) => {
            logger.error('shutdown failed', { error: err });
            return 1;
          },
        );
    });
    stopCollecting();
    // Work cut short at the grace period may still hold timers (a handler mid-sleep): it is
    // left pending, so nothing is lost by not waiting for it.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  },
});

interface ServiceTelemetry {
  readonly tracer: Tracer;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Telemetry first: http is instrumented when it is first required. With --tracing off no SDK
 * is loaded: the API's no-op tracer makes spans that record nothing, so the same code runs
 * without tracing's cost.
 */
async function startServiceTelemetry(
  values: OptionValues,
  service: {
    serviceName: string;
    replica: string;
    warn: (line: string) => void;
    monitor?: ResourceMonitor;
  },
): Promise<ServiceTelemetry> {
  if (opt.str(values, 'tracing') === 'off') {
    return {
      tracer: trace.getTracer('tracelab'),
      flush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }
  return startTelemetry({
    serviceName: service.serviceName,
    instanceId: `${service.serviceName}-${service.replica}`,
    otlpEndpoint: opt.str(values, 'otlp-endpoint'),
    warn: service.warn,
    export: {
      attemptTimeoutMs: opt.num(values, 'export-timeout-ms'),
      retryBudgetMs: opt.num(values, 'export-retry-ms'),
      droppedReportMs: opt.num(values, 'dropped-spans-log-ms'),
    },
    ...(service.monitor ? { resourceReadings: service.monitor } : {}),
  });
}

/**
 * Waits for SIGTERM, SIGINT or `tracelab up` gone, then stops gracefully once with `stop`,
 * resolving with its exit code; a second signal means "now": skip the graceful part.
 */
async function untilStopped(stop: (why: string) => Promise<number>): Promise<number> {
  let release = (): void => undefined;
  const code = await new Promise<number>((resolve) => {
    let stopping = false;
    const stopOnce = (why: string) => {
      if (stopping) return;
      stopping = true;
      void stop(why).then(resolve);
    };
    const onSignal = (signal: string) => {
      if (stopping) process.exit(130);
      stopOnce(signal);
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    release = watchParent(() => stopOnce('tracelab up is gone'));
  });
  release();
  return code;
}
