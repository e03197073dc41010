import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt, portOption } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { busConfigFrom, busOptions, createBus, lazyLagReader } from '../bus/index.js';
import { analyzeTraces } from '../analysis/index.js';
import { COLLECTOR_DEFAULTS, startCollector, storedTraceReader } from '../collector/index.js';
import type { LagSource, RunningCollector } from '../collector/index.js';
import { bindWarning } from '../http-guard/index.js';
import { collectWhenIdle } from '../monitor/index.js';
import { tellReady, watchParent } from '../supervisor/index.js';
import { fetchJson } from '../errors/index.js';
import { scenarioDesk } from './scenario-desk.js';
import { labOptions, progressFile } from './scenario-run.js';

const options: OptionSpec[] = [
  {
    name: 'host',
    type: 'string',
    env: 'TRACELAB_COLLECTOR_HOST',
    default: COLLECTOR_DEFAULTS.host,
    description: `interface the receiver and the query API listen on; beyond ${COLLECTOR_DEFAULTS.host} anyone who can reach it may read every trace and send spans`,
  },
  {
    name: 'public-host',
    type: 'list',
    env: 'TRACELAB_PUBLIC_HOST',
    default: [],
    description:
      'a host name the collector answers to, besides localhost and --host (an IP address is always answered; repeat or comma-separate): any other name in the Host header gets 421, against DNS rebinding',
  },
  portOption({
    name: 'otlp-port',
    env: 'TRACELAB_OTLP_PORT',
    default: COLLECTOR_DEFAULTS.otlpPort,
    description: 'OTLP/HTTP receiver port (POST /v1/traces); 0 picks a free port',
  }),
  portOption({
    name: 'http-port',
    env: 'TRACELAB_HTTP_PORT',
    default: COLLECTOR_DEFAULTS.httpPort,
    description: 'Jaeger-compatible query API port; 0 picks a free port',
  }),
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
    name: 'max-metric-points',
    type: 'number',
    env: 'TRACELAB_MAX_METRIC_POINTS',
    default: COLLECTOR_DEFAULTS.maxMetricPoints,
    integer: true,
    min: 1,
    description:
      'resource monitor points kept per process (POST /v1/metrics); the oldest are dropped first',
  },
  // Bus settings only say where lag is read: without --bus, /api/tracelab/lag answers 404.
  ...busOptions.map((spec) =>
    spec.name === 'bus'
      ? {
          ...spec,
          default: undefined,
          description:
            'message bus whose consumer lag GET /api/tracelab/lag reports (none by default; tracelab up passes its own)',
        }
      : spec,
  ),
  {
    name: 'admin-url',
    type: 'string',
    env: 'TRACELAB_ADMIN_URL',
    description:
      "tracelab up's admin endpoint, where the running scenario is held and the autoscaler's events are kept: the web UI's scenario panel and scaling marks read them here (tracelab up passes it; without it, /api/tracelab/scenario and /api/tracelab/autoscale answer 404)",
  },
  ...labOptions.filter((spec) => spec.name === 'progress-file'),
  {
    name: 'data',
    type: 'string',
    env: 'TRACELAB_DATA',
    description: `file that keeps the traces across restarts (each batch appended, synced every ${COLLECTOR_DEFAULTS.persistIntervalMs / 1000} s and on exit)`,
  },
];

export const command = defineCommand({
  name: 'collector',
  summary: 'embedded trace backend: OTLP/HTTP receiver, Jaeger-compatible query API, web UI',
  usage: 'collector [options]',
  options,
  async run({ values }) {
    let collector: RunningCollector;
    const host = opt.str(values, 'host');
    const dataFile = opt.maybeStr(values, 'data');
    const lag: LagSource | undefined =
      opt.maybeStr(values, 'bus') === undefined
        ? undefined
        : lazyLagReader(busConfigFrom(values), createBus);
    const adminUrl = opt.maybeStr(values, 'admin-url');
    try {
      collector = await startCollector({
        host,
        publicHosts: opt.list(values, 'public-host'),
        otlpPort: opt.num(values, 'otlp-port'),
        httpPort: opt.num(values, 'http-port'),
        maxSpans: opt.num(values, 'max-spans'),
        maxMetricPoints: opt.num(values, 'max-metric-points'),
        ...(lag ? { lag } : {}),
        ...(dataFile ? { dataFile } : {}),
        // `tracelab analyze` has its traces analysed here, where they are stored.
        analyze: (traces, analyzeOptions) =>
          analyzeTraces(traces, analyzeOptions, storedTraceReader),
        // The web UI's scenario panel: graded here as `tracelab scenario answer` grades.
        ...(adminUrl
          ? { scenario: (traces) => scenarioDesk(adminUrl, traces, progressFile(values)) }
          : {}),
        // The autoscaler's events, for the marks on the UI's timelines.
        ...(adminUrl ? { autoscale: () => readAutoscale(adminUrl) } : {}),
      });
    } catch (err) {
      // The collector names the flag to change; a message the user acts on, not a crash.
      if ((err as { code?: unknown }).code === 'LISTEN_FAILED')
        throw new CliError((err as Error).message);
      throw err;
    }
    const warning = bindWarning(
      'the collector (query API and OTLP receiver)',
      host,
      [collector.queryUrl, collector.otlpUrl].map((u) => Number(new URL(u).port)),
      'read every trace and send spans',
    );
    if (warning) process.stderr.write(`tracelab: ${warning}\n`);
    process.stdout.write(
      `collector: OTLP/HTTP receiver on ${collector.otlpUrl}\n` +
        `collector: query API on ${collector.queryUrl}\n` +
        `collector: OTLP/HTTP metrics on ${collector.otlpMetricsUrl}\n`,
    );
    tellReady({ otlp: collector.otlpUrl, query: collector.queryUrl });
    const stopCollecting = collectWhenIdle();
    let release = (): void => undefined;
    const why = await new Promise<string>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      release = watchParent(() => resolve('tracelab up is gone'));
    });
    process.stdout.write(`collector: ${why}, saving and closing\n`);
    stopCollecting();
    await collector.close();
    release();
    return 0;
  },
});

/** GET /autoscale of up's admin endpoint; a refusal or no answer is an error. */
async function readAutoscale(adminUrl: string): Promise<unknown> {
  const res = await fetchJson(`${adminUrl.replace(/\/+$/, '')}/autoscale`, {
    method: 'GET',
    timeoutMs: 3000,
    unreachable: (err) => err,
  });
  if (!res.ok || !res.json) throw new Error(`it answered ${res.status}`);
  return res.body;
}
