import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt } from './options.js';
import type { OptionSpec } from './options.js';
import { COLLECTOR_DEFAULTS, CollectorError, startCollector } from '../collector/index.js';
import type { RunningCollector } from '../collector/index.js';

const options: OptionSpec[] = [
  {
    name: 'host',
    type: 'string',
    env: 'TRACELAB_COLLECTOR_HOST',
    default: COLLECTOR_DEFAULTS.host,
    description: 'interface the receiver and the query API listen on',
  },
  {
    name: 'otlp-port',
    type: 'number',
    env: 'TRACELAB_OTLP_PORT',
    default: COLLECTOR_DEFAULTS.otlpPort,
    integer: true,
    min: 0,
    description: 'OTLP/HTTP receiver port (POST /v1/traces); 0 picks a free port',
  },
  {
    name: 'http-port',
    type: 'number',
    env: 'TRACELAB_HTTP_PORT',
    default: COLLECTOR_DEFAULTS.httpPort,
    integer: true,
    min: 0,
    description: 'Jaeger-compatible query API port; 0 picks a free port',
  },
  {
    name: 'max-spans',
    type: 'number',
    env: 'TRACELAB_MAX_SPANS',
    default: COLLECTOR_DEFAULTS.maxSpans,
    integer: true,
    min: 1,
    description: 'most spans kept; the oldest whole traces are evicted first',
  },
  {
    name: 'data',
    type: 'string',
    env: 'TRACELAB_DATA',
    description: `file that keeps the traces across restarts (saved every ${COLLECTOR_DEFAULTS.persistIntervalMs / 1000} s when changed, and on exit)`,
  },
];

function port(value: number | undefined, flag: string): number {
  if (value === undefined || value > 65535) {
    throw new CliError(`--${flag}: must be a port number from 0 to 65535, got ${value}`);
  }
  return value;
}

export const command = defineCommand({
  name: 'collector',
  summary: 'embedded trace backend: OTLP/HTTP receiver and Jaeger-compatible query API',
  usage: 'collector [options]',
  options,
  async run({ values }) {
    let collector: RunningCollector;
    try {
      collector = await startCollector({
        host: opt.str(values, 'host')!,
        otlpPort: port(opt.num(values, 'otlp-port'), 'otlp-port'),
        httpPort: port(opt.num(values, 'http-port'), 'http-port'),
        maxSpans: opt.num(values, 'max-spans')!,
        ...(opt.str(values, 'data') ? { dataFile: opt.str(values, 'data')! } : {}),
      });
    } catch (err) {
      if (err instanceof CollectorError) throw new CliError(err.message);
      const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
        throw new CliError(`cannot listen on ${e.address ?? ''}:${e.port ?? ''}: ${e.code}`);
      }
      throw err;
    }
    process.stdout.write(
      `collector: OTLP/HTTP receiver on ${collector.otlpUrl}\n` +
        `collector: query API on ${collector.queryUrl}\n`,
    );
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stdout.write(`collector: ${signal}, saving and closing\n`);
    await collector.close();
    return 0;
  },
});
