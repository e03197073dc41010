import { trace } from '@opentelemetry/api';
import { hostname } from 'node:os';
import { collectWhenIdle, createResourceMonitor } from '../monitor/index.js';
import { tellReady, watchParent } from '../supervisor/index.js';
import { createLogger } from '../telemetry/logger.js';
import { SERVICES, SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { busConfigFrom, busOptions } from '../bus/options.js';
import { workloadOptions, workloadSettingsFrom } from '../workload/settings.js';
import { faultSetFrom } from './faults.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
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

export const options: readonly OptionSpec[] = [
  ...serviceOptions,
  replicaOption,
  ...busOptions,
  ...workloadOptions,
];

export const command = defineCommand({
  name: 'service',
  summary: 'run one service: api, processing, notification or analytics',
  usage: `service <${SERVICE_KINDS.join('|')}> [options]`,
  options,
  async run({ values, positionals }) {
    const kind = positionals[0] as ServiceKind | undefined;
    if (!kind || !SERVICE_KINDS.includes(kind) || positionals.length > 1) {
      throw new CliError(
        `name one service: ${SERVICE_KINDS.join(', ')} (got "${positionals.join(' ')}")`,
      );
    }
    const bus = { ...busConfigFrom(values), readAheadMs: opt.num(values, 'read-ahead-ms') };
    const workload = workloadSettingsFrom(values);
    const faults = faultSetFrom(opt.list(values, 'fault'));
    const def = SERVICES[kind];
    // A consumer that restarts under the same name takes back the messages it held.
    const replica = String(opt.maybeNum(values, 'replica') ?? hostname());
    const logger = createLogger();

    // The sampler runs whatever the workload (its readings are exported as metrics too),
    // unless --monitor off. With no workload nothing blocks the event loop for long, so a
    // timer on the main thread samples as regularly as a thread, without its memory.
    const monitor = workload.monitor.enabled
      ? createResourceMonitor({
          ...workload.monitor,
          sampler: workload.mode === 'none' ? 'main' : 'thread',
        })
      : undefined;
    // Telemetry first: http is instrumented when it is first required.
    // With --tracing off no SDK is loaded: the API's no-op tracer makes spans that record
    // nothing, so the same code runs without tracing's cost.
    const telemetry =
      opt.str(values, 'tracing') === 'off'
        ? {
            tracer: trace.getTracer('tracelab'),
            flush: () => Promise.resolve(),
            shutdown: () => Promise.resolve(),
          }
        : (await import('../telemetry/sdk.js')).startTelemetry({
            serviceName: def.serviceName,
            instanceId: `${def.serviceName}-${replica}`,
            otlpEndpoint: opt.str(values, 'otlp-endpoint'),
            warn: (line) => logger.warn(line),
            export: {
              attemptTimeoutMs: opt.num(values, 'export-timeout-ms'),
              retryBudgetMs: opt.num(values, 'export-retry-ms'),
            },
            ...(monitor ? { resourceReadings: monitor } : {}),
          });
    let running;
    let release = (): void => undefined;
    try {
      running = await runService(
        {
          kind,
          bus,
          workload,
          host: opt.str(values, 'host'),
          apiPort: opt.num(values, 'api-port'),
          concurrency: opt.num(values, 'concurrency'),
          maxDeliveries: opt.num(values, 'max-deliveries'),
          faults,
          replica,
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

    const code = await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (why: string) => {
        if (stopping) return;
        stopping = true;
        logger.info(`${why}: finishing the work in hand`);
        void running
          .stop()
          .then(() => telemetry.shutdown())
          .then(() => monitor?.close())
          .then(
            () => resolve(0),
            (err: unknown) => {
              logger.error('shutdown failed', { error: err });
              resolve(1);
            },
          );
      };
      const onSignal = (signal: string) => {
        // A second signal means "now": skip the graceful part.
        if (stopping) process.exit(130);
        stop(signal);
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
      release = watchParent(() => stop('tracelab up is gone'));
    });
    release();
    stopCollecting();
    // Work cut short at the grace period may still hold timers (a handler mid-sleep): it is
    // left pending, so nothing is lost by not waiting for it.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  },
});
