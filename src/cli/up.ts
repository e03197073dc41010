import { join } from 'node:path';
import { busOptions } from '../bus/options.js';
import { PIPELINE_ORDER, SERVICES } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { startChild } from '../supervisor/child.js';
import type { SupervisedChild } from '../supervisor/child.js';
import { watchDroppedSpans } from '../supervisor/dropped-spans-watch.js';
import { toFlags } from '../supervisor/flags.js';
import { startFaultControl } from '../supervisor/fault-control.js';
import { ensureRedis } from '../supervisor/redis.js';
import { parseScale } from '../supervisor/scale.js';
import { spawnTethered } from '../supervisor/tether.js';
import { workloadOptions } from '../workload/settings.js';
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
import type { OptionSpec, OptionValues } from '../config/index.js';
import { faultSetFrom } from './faults.js';
import { serviceOptions } from './service-options.js';
import { formatUpBanner } from './up-banner.js';

const MAIN = join(__dirname, 'main.js');
/**
 * Node flags of every child: gc() for collectWhenIdle, which gives the heap a burst grew
 * back once the process is quiet again (see src/monitor/idle-gc.ts).
 */
const NODE_FLAGS = ['--expose-gc'];

const upOptions: readonly OptionSpec[] = [
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
    description: `admin endpoint on ${DEFAULT_HOST}, where tracelab fault switches faults (0: any free port)`,
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
    description: 'replicas of a consumer service in one group, e.g. processing=3',
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
  summary: 'start the whole system: Redis if needed, the collector and the four services',
  usage: 'up [options]',
  options: [...upOptions, ...passThrough],
  async run({ values, sources }) {
    const replicas = parseScale(opt.list(values, 'scale'));
    const useColor = colorWanted(process.stdout);
    const write = lineWriter(useColor);
    const cleanups: Array<() => Promise<void>> = [];
    const children: Array<{ kind: ServiceKind | 'collector'; child: SupervisedChild }> = [];
    let stopping: Promise<number> | undefined;

    const stopAll = async (code: number): Promise<number> => {
      // No new orders first; then every consumer finishes the message in hand, all at once
      // (what one publishes while the next stops waits in the bus for the next start: an
      // idle system stops in a read's wait, not one per stage); then the collector, which
      // receives their last spans; then Redis/Kafka.
      for (const stages of [['api'], ['processing', 'notification', 'analytics'], ['collector']]) {
        await Promise.all(
          children.filter((c) => stages.includes(c.kind)).map((c) => c.child.stop()),
        );
      }
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      return code;
    };

    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    const shutdown = (code: number) => {
      stopping ??= stopAll(code).then((c) => {
        resolveExit(c);
        return c;
      });
      return stopping;
    };
    const onGiveUp = (label: string, reason: string) => {
      process.stderr.write(`tracelab: ${label} ${reason}; stopping everything\n`);
      void shutdown(1);
    };
    const onSignal = (signal: string) => {
      if (stopping) {
        process.stderr.write('tracelab: stopping now\n');
        process.exit(130);
      }
      process.stdout.write(`\n${signal}: stopping gracefully (again to force)\n`);
      void shutdown(0);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));

    try {
      const redis = await ensureRedis(
        opt.str(values, 'redis-url'),
        sources['redis-url'] !== 'default',
      );
      cleanups.push(() => redis.stop());
      const childValues: OptionValues = { ...values, 'redis-url': redis.url };
      let busNote = 'Redis Streams';
      if (opt.str(values, 'bus') === 'kafka') {
        if (opt.list(values, 'kafka-brokers').length === 0) {
          const { startTestBroker } = await import('../bus/kafka-test-broker.js');
          // Tethered: the broker goes with this process, even if it is SIGKILLed.
          const broker = await startTestBroker({
            spawn: (command, args) => spawnTethered(command, args, { detached: true }),
          });
          cleanups.push(() => broker.stop());
          childValues['kafka-brokers'] = broker.brokers;
          busNote = `Kafka test broker at ${broker.brokers.join(',')} (in memory: keeps nothing; a real Kafka is one KAFKA_BROKERS= away, or docker compose up)`;
        } else {
          busNote = `Kafka at ${opt.list(values, 'kafka-brokers').join(',')}`;
        }
      }
      const host = opt.str(values, 'host');

      const faults = await startFaultControl({
        redisUrl: redis.url,
        keyPrefix: opt.str(values, 'key-prefix'),
        flags: faultSetFrom(opt.list(values, 'fault')),
        adminPort: opt.num(values, 'admin-port'),
        schedule: opt.maybeStr(values, 'fault-schedule'),
        log: (line) => write('faults', line, 'out'),
      });
      cleanups.push(() => faults.stop());

      const collectorArgs = (otlpPort: number, httpPort: number) => [
        ...NODE_FLAGS,
        MAIN,
        'collector',
        '--host',
        host,
        '--otlp-port',
        String(otlpPort),
        '--http-port',
        String(httpPort),
        // The bus the services use: the collector reports its consumer lag to the UI.
        ...toFlags(busOptions, childValues),
      ];
      const collector = await startChild(
        {
          label: 'collector',
          command: process.execPath,
          args: collectorArgs(opt.num(values, 'otlp-port'), opt.num(values, 'http-port')),
          // Back on the ports it first got (port 0 picks anew): the services keep exporting
          // to the first one.
          restartArgs: (first) => collectorArgs(first.ports.otlp!, first.ports.query!),
          restart: true,
          // Losing the trace backend must not stop the shop: the services count the spans
          // they cannot send, and the collector is retried until it comes back.
          keepTrying: { maxDelayMs: 15_000, what: 'the trace backend' },
        },
        write,
        onGiveUp,
      );
      children.push({ kind: 'collector', child: collector });
      const queryUrl = collector.ready.urls.query!;
      // The status line of lost tracing: spans the services gave up exporting.
      const dropped = watchDroppedSpans(queryUrl, (line) =>
        write('tracelab', `dropped spans: ${line}`, 'out'),
      );
      cleanups.push(() => Promise.resolve(dropped.stop()));
      const otlpUrl = collector.ready.urls.otlp!;
      const otlpBase = otlpUrl.replace(/\/v1\/traces$/, '');

      const flags = toFlags(passThrough, childValues);
      const startService = async (kind: ServiceKind, replica: number) => {
        const def = SERVICES[kind];
        const label = replicas[kind] > 1 ? `${def.serviceName}#${replica}` : def.serviceName;
        const args = [
          ...NODE_FLAGS,
          MAIN,
          'service',
          kind,
          ...flags,
          '--replica',
          String(replica),
          '--otlp-endpoint',
          otlpBase,
        ];
        const child = await startChild(
          {
            label,
            command: process.execPath,
            args,
            // The API back on the port it first got, where users and clients were told (the
            // later flag wins).
            restartArgs: (first) =>
              first.ports.api ? [...args, '--api-port', String(first.ports.api)] : args,
            restart: true,
          },
          write,
          onGiveUp,
        );
        children.push({ kind, child });
        return child;
      };
      // Consumers first, downstream to upstream, so the API never accepts into a void.
      await Promise.all(
        PIPELINE_ORDER.filter((k) => k !== 'api').flatMap((kind) =>
          Array.from({ length: replicas[kind] }, (_, i) => startService(kind, i + 1)),
        ),
      );
      const api = await startService('api', 1);
      const apiUrl = api.ready.urls.api!;

      const names = PIPELINE_ORDER.map(
        (k) => `${SERVICES[k].serviceName}${replicas[k] > 1 ? ` ×${replicas[k]}` : ''}`,
      );
      // Process ids, to match what `top` shows with the figures on the spans.
      process.stdout.write(
        formatUpBanner({
          apiUrl,
          queryUrl,
          otlpUrl,
          redisUrl: redis.url,
          redisPrivate: redis.private,
          adminUrl: faults.adminUrl,
          bus: busNote,
          services: names,
          processes: children.map((c) => ({ label: c.child.label, pid: c.child.pid() })),
          faultsInForce: faults.describe(),
        }),
      );
    } catch (err) {
      await shutdown(1);
      if (err instanceof TracelabError) throw err;
      throw new CliError((err as Error).message, 1);
    }
    return exited;
  },
});

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
