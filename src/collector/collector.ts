import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { loadTraces, startPersister } from './persistence.js';
import type { Persister } from './persistence.js';
import { buildQueryApi } from './query-api.js';
import { buildReceiver, OTLP_TRACES_PATH } from './receiver.js';
import { TraceStore } from './store.js';
import { storeTraceSource } from './trace-source.js';

export interface CollectorOptions {
  /** Interface both servers listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** OTLP/HTTP receiver port; 0 picks a free one. Default 4318. */
  readonly otlpPort?: number;
  /** Query API port; 0 picks a free one. Default 16686. */
  readonly httpPort?: number;
  /** Most spans kept; the first received traces are evicted first. */
  readonly maxSpans?: number;
  /** JSON-lines file the traces are kept in across restarts. */
  readonly dataFile?: string;
  /** How often a changed store is saved to dataFile. Default 5000. */
  readonly persistIntervalMs?: number;
  /** Largest OTLP request body, compressed or not. Default 16 MiB. */
  readonly bodyLimitBytes?: number;
  /** Where errors that no request can be told about go (a failed periodic save). */
  readonly onError?: (err: Error) => void;
}

export interface RunningCollector {
  /** e.g. http://127.0.0.1:4318/v1/traces */
  readonly otlpUrl: string;
  /** e.g. http://127.0.0.1:16686 */
  readonly queryUrl: string;
  readonly store: TraceStore;
  /** Stops taking spans, saves the store if it has a data file, then stops the query API. */
  close(): Promise<void>;
}

export const COLLECTOR_DEFAULTS = {
  host: '127.0.0.1',
  otlpPort: 4318,
  httpPort: 16686,
  maxSpans: 200_000,
  persistIntervalMs: 5000,
  bodyLimitBytes: 16 * 1024 * 1024,
} as const;

/** Starts the receiver and the query API over one store (loaded from dataFile first). */
export async function startCollector(options: CollectorOptions = {}): Promise<RunningCollector> {
  const o = { ...COLLECTOR_DEFAULTS, ...options };
  const onError =
    options.onError ?? ((err: Error) => process.stderr.write(`collector: ${err.message}\n`));
  const store = new TraceStore({ maxSpans: o.maxSpans });
  if (o.dataFile) await loadTraces(o.dataFile, store);

  const receiver = buildReceiver({ store, bodyLimitBytes: o.bodyLimitBytes });
  const queryApi = buildQueryApi({ source: storeTraceSource(store) });
  const started: FastifyInstance[] = [];
  let persister: Persister | undefined;
  try {
    const otlpPort = await listen(receiver, o.host, o.otlpPort);
    started.push(receiver);
    const httpPort = await listen(queryApi, o.host, o.httpPort);
    started.push(queryApi);
    if (o.dataFile) {
      persister = startPersister({
        path: o.dataFile,
        store,
        intervalMs: o.persistIntervalMs,
        onError,
      });
    }
    const base = (port: number) =>
      `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
    return {
      otlpUrl: `${base(otlpPort)}${OTLP_TRACES_PATH}`,
      queryUrl: base(httpPort),
      store,
      async close() {
        await receiver.close();
        try {
          await persister?.close();
        } finally {
          await queryApi.close();
        }
      },
    };
  } catch (err) {
    await Promise.all(started.map((app) => app.close()));
    throw err;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  return (app.server.address() as AddressInfo).port;
}
