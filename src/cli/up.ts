import { join } from 'node:path';
import { busOptions } from '../bus/index.js';
import { createLab, DATABASE_MODES, parseScale, withinBounds } from '../supervisor/index.js';
import type { DatabaseMode, Lab } from '../supervisor/index.js';
import { workloadOptions } from '../workload/index.js';
import { defineCommand } from './command.js';
import { TracelabError } from '../errors/index.js';
import { CliError } from './errors.js';
import {
  colorWanted,
  DEFAULT_ADMIN_PORT,
  DEFAULT_HOST,
  DEFAULT_OTLP_PORT,
  DEFAULT_QUERY_PORT,
  opt,
  portOption,
} from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { faultSetFrom } from './faults.js';
import { serviceOptions } from './service-options.js';
import { formatUpBanner } from './up-banner.js';
import { autoscaleFrom, autoscaleOptions } from './autoscale-options.js';

const MAIN = join(__dirname, 'main.js');

const upOptions: readonly OptionSpec[] = [
  {
    name: 'collector-host',
    type: 'string',
    env: 'TRACELAB_COLLECTOR_HOST',
    default: DEFAULT_HOST,
    description: `address the collector's OTLP receiver and query API bind to (--host binds the API only); beyond ${DEFAULT_HOST} anyone who can reach it may read every trace and send spans`,
  },
  portOption({
    name: 'otlp-port',
    env: 'TRACELAB_OTLP_PORT',
    default: DEFAULT_OTLP_PORT,
    description: 'collector OTLP/HTTP port',
  }),
  portOption({
    name: 'http-port',
    env: 'TRACELAB_HTTP_PORT',
    default: DEFAULT_QUERY_PORT,
    description: 'collector query API port (Jaeger-compatible)',
  }),
  portOption({
    name: 'admin-port',
    env: 'TRACELAB_ADMIN_PORT',
    default: DEFAULT_ADMIN_PORT,
    description: `admin endpoint on ${DEFAULT_HOST}, where tracelab fault, intensity and scale switch faults, intensities and replicas (0: any free port)`,
  }),
  {
    name: 'fault-schedule',
    type: 'string',
    env: 'TRACELAB_FAULT_SCHEDULE',
    description:
      'a game day: seed=<n>[,every=<duration>] switches one random fault on (and the last off) every period, repeatably',
  },
  {
    name: 'scale',
    type: 'list',
    default: [],
    description:
      'replicas of a service: of a consumer in one group (processing=3), or of inventory, each on its own port, processing calling them in turn (inventory=2)',
  },
  {
    name: 'audit',
    type: 'boolean',
    env: 'TRACELAB_AUDIT',
    default: false,
    description:
      'also run audit-service: a second consumer group on notified-orders beside analytics (fan-out), auditing each order once; --scale audit=N for more replicas',
  },
  {
    name: 'database',
    type: 'string',
    env: 'TRACELAB_DATABASE',
    default: 'auto',
    choices: DATABASE_MODES,
    description:
      "inventory's PostgreSQL when --database-url names none: auto (a private postgres when its binaries are installed, else PGlite), postgres, or pglite (in-process, one connection at a time)",
  },
];

// What each service child is given; the OTLP endpoint is the collector `up` starts.
const passThrough = [
  ...serviceOptions.filter((s) => s.name !== 'otlp-endpoint'),
  ...busOptions,
  ...workloadOptions,
];

export const command = defineCommand({
  name: 'up',
  summary: 'start the whole system: Redis and PostgreSQL if needed, the collector and the services',
  usage: 'up [options]',
  options: [...upOptions, ...autoscaleOptions, ...passThrough],
  async run({ values, sources }) {
    const autoscale = autoscaleFrom(values);
    const lab = await createLab({
      main: MAIN,
      collectorHost: opt.str(values, 'collector-host'),
      otlpPort: opt.num(values, 'otlp-port'),
      httpPort: opt.num(values, 'http-port'),
      adminPort: opt.num(values, 'admin-port'),
      redisUrl: opt.str(values, 'redis-url'),
      redisUrlNamed: sources['redis-url'] !== 'default',
      keyPrefix: opt.str(values, 'key-prefix'),
      databaseUrl: opt.maybeStr(values, 'database-url'),
      databaseMode: opt.str(values, 'database') as DatabaseMode,
      faults: faultSetFrom(opt.list(values, 'fault')),
      faultSchedule: opt.maybeStr(values, 'fault-schedule'),
      // An autoscaled service starts within its bounds.
      replicas: withinBounds(
        parseScale(opt.list(values, 'scale'), { audit: opt.bool(values, 'audit') }),
        autoscale.bounds,
      ),
      autoscale,
      values,
      serviceFlags: passThrough,
      write: lineWriter(colorWanted(process.stdout)),
      warn: (line) => process.stderr.write(`tracelab: ${line}\n`),
    });
    stopOnSignals(lab);
    try {
      process.stdout.write(formatUpBanner(await lab.start()));
    } catch (err) {
      await lab.stop(1);
      if (err instanceof TracelabError) throw err;
      throw new CliError((err as Error).message, 1);
    }
    return lab.stopped;
  },
});

/** Ctrl-C stops the lab gracefully; a second one stops this process at once. */
function stopOnSignals(lab: Lab): void {
  const onSignal = (signal: string) => {
    if (lab.isStopping()) {
      process.stderr.write('tracelab: stopping now\n');
      process.exit(130);
    }
    process.stdout.write(`\n${signal}: stopping gracefully (again to force)\n`);
    void lab.stop(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

function lineWriter(color: boolean) {
  const palette = [36, 33, 35, 32, 34, 31];
  const colors = new Map<string, number>();
  const width = 24;
  return (label: string, line: string, stream: 'out' | 'err') => {
    if (!colors.has(label)) colors.set(label, palette[colors.size % palette.length]!);
    const tag = label.padEnd(width);
    const prefix = color ? `\x1b[${colors.get(label)}m${tag}\x1b[0m| ` : `${tag}| `;
    (stream === 'err' ? process.stderr : process.stdout).write(`${prefix}${line}\n`);
  };
}
