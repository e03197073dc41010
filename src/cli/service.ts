import { hostname } from 'node:os';
import { SERVICES } from '../pipeline/services.js';
import { createLogger } from '../telemetry/logger.js';
import { SERVICE_KINDS } from '../workload/types.js';
import type { ServiceKind } from '../workload/types.js';
import { busConfigFrom, busOptions } from '../bus/options.js';
import { workloadOptions, workloadSettingsFrom } from '../workload/settings.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt } from './options.js';
import type { OptionSpec } from './options.js';
import { serviceOptions } from './service-options.js';

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
    const bus = busConfigFrom(values);
    const workload = workloadSettingsFrom(values);
    const def = SERVICES[kind];
    // A consumer that restarts under the same name takes back the messages it held.
    const replica = String(opt.num(values, 'replica') ?? hostname());
    const logger = createLogger();

    // Telemetry first: http and ioredis are instrumented when they are first required.
    const { startTelemetry } = await import('../telemetry/sdk.js');
    const telemetry = startTelemetry({
      serviceName: def.serviceName,
      instanceId: `${def.serviceName}-${replica}`,
      otlpEndpoint: opt.str(values, 'otlp-endpoint')!,
    });
    const { runService } = await import('../services/run-service.js');
    let running;
    try {
      running = await runService(
        {
          kind,
          bus,
          workload,
          host: opt.str(values, 'host')!,
          apiPort: opt.num(values, 'api-port')!,
          concurrency: opt.num(values, 'concurrency')!,
          replica,
        },
        { tracer: telemetry.tracer, logger },
      );
    } catch (err) {
      await telemetry.shutdown().catch(() => undefined);
      throw err;
    }
    process.stdout.write(`${running.ready}\n`);

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          // A second signal means "now": skip the graceful part.
          process.exit(130);
        }
        stopping = true;
        logger.info(`${signal}: finishing the work in hand`);
        void running
          .stop()
          .then(() => telemetry.shutdown())
          .then(
            () => resolve(0),
            (err: unknown) => {
              logger.error('shutdown failed', { error: err });
              resolve(1);
            },
          );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
});
