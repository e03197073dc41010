import { join } from 'node:path';
import { busOptions } from '../bus/options.js';
import { PIPELINE_ORDER, SERVICES } from '../pipeline/services.js';
import { startChild } from '../supervisor/child.js';
import type { SupervisedChild } from '../supervisor/child.js';
import { toFlags } from '../supervisor/flags.js';
import { ensureRedis } from '../supervisor/redis.js';
import { parseScale } from '../supervisor/scale.js';
import { workloadOptions } from '../workload/settings.js';
import type { ServiceKind } from '../workload/types.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt } from './options.js';
import type { OptionSpec, OptionValues } from './options.js';
import { serviceOptions } from './service-options.js';

const MAIN = join(__dirname, 'main.js');

const upOptions: readonly OptionSpec[] = [
  {
    name: 'otlp-port',
    type: 'number',
    env: 'TRACELAB_OTLP_PORT',
    default: 4318,
    integer: true,
    min: 0,
    description: 'collector OTLP/HTTP port',
  },
  {
    name: 'http-port',
    type: 'number',
    env: 'TRACELAB_HTTP_PORT',
    default: 16686,
    integer: true,
    min: 0,
    description: 'collector query API port (Jaeger-compatible)',
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
    const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
    const write = lineWriter(useColor);
    const cleanups: Array<() => Promise<void>> = [];
    const children: Array<{ kind: ServiceKind | 'collector'; child: SupervisedChild }> = [];
    let stopping: Promise<number> | undefined;

    const stopAll = async (code: number): Promise<number> => {
      // Front to back: no new orders, then each stage finishes what it holds, then the
      // collector (which receives their last spans), then Redis/Kafka.
      for (const stage of [
        'api',
        'processing',
        'notification',
        'analytics',
        'collector',
      ] as const) {
        await Promise.all(children.filter((c) => c.kind === stage).map((c) => c.child.stop()));
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
        opt.str(values, 'redis-url')!,
        sources['redis-url'] !== 'default',
      );
      cleanups.push(() => redis.stop());
      const childValues: OptionValues = { ...values, 'redis-url': redis.url };
      let busNote = 'Redis Streams';
      if (opt.str(values, 'bus') === 'kafka') {
        if (opt.list(values, 'kafka-brokers').length === 0) {
          const { startTestBroker } = await import('../bus/kafka-test-broker.js');
          const broker = await startTestBroker();
          cleanups.push(() => broker.stop());
          childValues['kafka-brokers'] = broker.brokers;
          busNote = `Kafka test broker at ${broker.brokers.join(',')} (in memory: keeps nothing; a real Kafka is one KAFKA_BROKERS= away, or docker compose up)`;
        } else {
          busNote = `Kafka at ${opt.list(values, 'kafka-brokers').join(',')}`;
        }
      }
      const host = opt.str(values, 'host')!;

      const collector = await startChild(
        {
          label: 'collector',
          command: process.execPath,
          args: [
            MAIN,
            'collector',
            '--host',
            host,
            '--otlp-port',
            String(opt.num(values, 'otlp-port')),
            '--http-port',
            String(opt.num(values, 'http-port')),
          ],
          env: { TRACELAB_PARENT_PID: String(process.pid) },
          ready: /query API on (\S+)/,
          restart: true,
        },
        write,
        onGiveUp,
      );
      children.push({ kind: 'collector', child: collector });
      const queryUrl = collector.readyMatch[1]!;
      const otlpUrl = collector.lines
        .map((l) => /OTLP\/HTTP receiver on (\S+)/.exec(l)?.[1])
        .find(Boolean)!;
      const otlpBase = otlpUrl.replace(/\/v1\/traces$/, '');

      const flags = toFlags(passThrough, childValues);
      const startService = async (kind: ServiceKind, replica: number) => {
        const def = SERVICES[kind];
        const label = replicas[kind] > 1 ? `${def.serviceName}#${replica}` : def.serviceName;
        const child = await startChild(
          {
            label,
            command: process.execPath,
            args: [
              MAIN,
              'service',
              kind,
              ...flags,
              '--replica',
              String(replica),
              '--otlp-endpoint',
              otlpBase,
            ],
            env: { TRACELAB_PARENT_PID: String(process.pid) },
            ready: kind === 'api' ? /listening on (\S+)/ : /consuming /,
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
      const apiUrl = api.readyMatch[1]!;

      const names = PIPELINE_ORDER.map(
        (k) => `${SERVICES[k].serviceName}${replicas[k] > 1 ? ` ×${replicas[k]}` : ''}`,
      );
      // Process ids, to match what `top` shows with the figures on the spans.
      const pids = children
        .filter((c) => c.kind !== 'collector')
        .map((c) => `${c.child.label} ${c.child.pid()}`)
        .join(', ');
      process.stdout.write(
        [
          '',
          'tracelab is up',
          `  API         ${apiUrl}  (POST /order, GET /order/:id, GET /health)`,
          `  Traces      ${queryUrl}  (Jaeger query API: /api/services, /api/traces)`,
          `  OTLP/HTTP   ${otlpUrl}`,
          `  Redis       ${redis.url}${redis.private ? '  (private redis-server: keeps nothing)' : ''}`,
          `  Bus         ${busNote}`,
          `  Services    ${names.join(', ')}`,
          `  Processes   ${pids}`,
          '',
          `Try: curl -X POST ${apiUrl}/order -H 'Content-Type: application/json' -d '{"item": "test-product", "quantity": 1}'`,
          'Ctrl-C stops everything gracefully.',
          '',
        ].join('\n'),
      );
    } catch (err) {
      await shutdown(1);
      if (err instanceof CliError) throw err;
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
