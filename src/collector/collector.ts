import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HOST, DEFAULT_OTLP_PORT, DEFAULT_QUERY_PORT } from '../config/index.js';
import { allowedHostNames, listenFailure } from '../http-guard/index.js';
import { guardCollectorPort } from './edge.js';
import { CollectorError } from './errors.js';
import { loadTraces } from './store/data-file.js';
import { MetricsStore } from './store/metrics-store.js';
import { startPersister } from './store/persister.js';
import type { Persister } from './store/persister.js';
import { TraceStore } from './store/trace-store.js';
import type { AnalyzeStored } from './query/stored-analysis.js';
import { registerTracelabApi } from './query/tracelab-api.js';
import { registerChainApi } from './query/chain-api.js';
import type { LagSource } from './query/tracelab-api.js';
import { registerScenarioApi } from './query/scenario-api.js';
import { registerAutoscaleApi } from './query/autoscale-api.js';
import type { AutoscaleSource } from './query/autoscale-api.js';
import type { ScenarioDesk } from './query/scenario-api.js';
import { storeTraceSource } from './query/trace-source.js';
import type { TraceSource } from './query/trace-source.js';
import { DEFAULT_UI_DIR, loadUiAssets } from './query/ui-assets.js';

export interface CollectorOptions {
  /** Interface both servers listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Names both servers answer to besides loopback and `host`; any other Host gets 421. */
  readonly publicHosts?: readonly string[];
  /** OTLP/HTTP receiver port; 0 picks a free one. Default 4318. */
  readonly otlpPort?: number;
  /** Query API port; 0 picks a free one. Default 16686. */
  readonly httpPort?: number;
  /** Most spans kept; the first received traces are evicted first. */
  readonly maxSpans?: number;
  /** File the traces are kept in across restarts: every batch received is appended to it. */
  readonly dataFile?: string;
  /** How often what was appended to dataFile is synced to disk. Default 5000. */
  readonly persistIntervalMs?: number;
  /** Resource monitor points kept per process (service + pid). Default 36000: 1 h at 100 ms. */
  readonly maxMetricPoints?: number;
  /** Consumer lag for `/api/tracelab/lag`; the collector closes it. Without it, that answers 404. */
  readonly lag?: LagSource;
  /**
   * Analyses stored traces for `/api/tracelab/analysis` (the CLI hands in the analysis). Without
   * it, that answers 404 and `tracelab analyze` reads the traces as Jaeger JSON instead.
   */
  readonly analyze?: AnalyzeStored;
  /**
   * The running scenario for `/api/tracelab/scenario` (the CLI hands in a desk over `up`'s
   * admin endpoint), given the collector's own traces. Without it, those answer 404.
   */
  readonly scenario?: (traces: TraceSource) => ScenarioDesk;
  /** The autoscaler's events for `/api/tracelab/autoscale` (read from `up`'s admin endpoint). */
  readonly autoscale?: AutoscaleSource;
  /** Largest OTLP request body, compressed or not. Default 16 MiB. */
  readonly bodyLimitBytes?: number;
  /** The built web UI served on the query port. Default: the one built beside this code. */
  readonly uiDir?: string;
  /** Where errors that no request can be told about go (a failed write to dataFile). */
  readonly onError?: (err: Error) => void;
  /** Where problems that did not stop the collector go (a torn last record dropped). */
  readonly onWarning?: (message: string) => void;
}

export interface RunningCollector {
  /** e.g. http://127.0.0.1:4318/v1/traces */
  readonly otlpUrl: string;
  /** e.g. http://127.0.0.1:4318/v1/metrics */
  readonly otlpMetricsUrl: string;
  /** e.g. http://127.0.0.1:16686 */
  readonly queryUrl: string;
  readonly store: TraceStore;
  readonly metrics: MetricsStore;
  /** Stops taking spans, syncs the data file if there is one, then stops the query API. */
  close(): Promise<void>;
}

export const COLLECTOR_DEFAULTS = {
  host: DEFAULT_HOST,
  otlpPort: DEFAULT_OTLP_PORT,
  httpPort: DEFAULT_QUERY_PORT,
  maxSpans: 200_000,
  maxMetricPoints: 36_000,
  persistIntervalMs: 5000,
  bodyLimitBytes: 16 * 1024 * 1024,
} as const;

/** Starts the receiver and the query API over one store (loaded from dataFile first). */
export async function startCollector(options: CollectorOptions = {}): Promise<RunningCollector> {
  const o = { ...COLLECTOR_DEFAULTS, ...options };
  const onError =
    options.onError ?? ((err: Error) => process.stderr.write(`collector: ${err.message}\n`));
  const onWarning =
    options.onWarning ?? ((message: string) => process.stderr.write(`collector: ${message}\n`));
  const store = new TraceStore({ maxSpans: o.maxSpans });
  const loaded = o.dataFile ? await loadTraces(o.dataFile, store) : undefined;
  if (loaded?.warning) onWarning(loaded.warning);

  const metrics = new MetricsStore({ maxPointsPerProcess: o.maxMetricPoints });

  // The servers (fastify, protobufjs) load here, not with the module's face.
  const [{ buildReceiver, OTLP_METRICS_PATH, OTLP_TRACES_PATH }, { buildQueryApi }] =
    await Promise.all([import('./ingest/receiver.js'), import('./query/jaeger-api.js')]);
  const receiver = buildReceiver({ store, metrics, bodyLimitBytes: o.bodyLimitBytes });
  const ui = await loadUiAssets(options.uiDir ?? DEFAULT_UI_DIR);
  const source = storeTraceSource(store);
  const queryApi = buildQueryApi({ source, ...(ui ? { ui } : {}) });
  registerTracelabApi(queryApi, {
    backend: 'tracelab',
    metrics,
    ...(options.lag ? { lag: options.lag } : {}),
    ...(options.analyze ? { analysis: { store, analyze: options.analyze } } : {}),
  });
  registerChainApi(queryApi, store);
  const allowed = allowedHostNames({ bindHost: o.host, publicHosts: options.publicHosts });
  registerScenarioApi(queryApi, options.scenario?.(source), allowed);
  registerAutoscaleApi(queryApi, options.autoscale);
  guardCollectorPort(receiver, allowed, { refuseForeignOrigin: true });
  guardCollectorPort(queryApi, allowed, { refuseForeignOrigin: false });
  const started: FastifyInstance[] = [];
  let persister: Persister | undefined;
  try {
    // Before the receiver listens, so the file sees every batch.
    if (o.dataFile && loaded) {
      persister = await startPersister({
        path: o.dataFile,
        store,
        loaded,
        syncIntervalMs: o.persistIntervalMs,
        onError,
      });
    }
    const otlpPort = await listen(receiver, o.host, o.otlpPort, '--otlp-port');
    started.push(receiver);
    const httpPort = await listen(queryApi, o.host, o.httpPort, '--http-port');
    started.push(queryApi);
    const base = (port: number) =>
      `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
    return {
      otlpUrl: `${base(otlpPort)}${OTLP_TRACES_PATH}`,
      otlpMetricsUrl: `${base(otlpPort)}${OTLP_METRICS_PATH}`,
      queryUrl: base(httpPort),
      store,
      metrics,
      async close() {
        await receiver.close();
        try {
          await persister?.close();
        } finally {
          await queryApi.close();
          await options.lag?.close().catch(() => undefined);
        }
      },
    };
  } catch (err) {
    await Promise.all(started.map((app) => app.close()));
    await persister?.close();
    await options.lag?.close().catch(() => undefined);
    throw err;
  }
}

/** Listens; one that cannot take its address says which flag to change. */
async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  portFlag: string,
): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const message = listenFailure(err, {
      host,
      port,
      portFlag,
      hostFlag: '--host (under tracelab up, --collector-host)',
    });
    if (message) throw new CollectorError('LISTEN_FAILED', message);
    throw err;
  }
  return (app.server.address() as AddressInfo).port;
}
