import type { FastifyInstance } from 'fastify';
import type * as JaegerProxy from './query/jaeger-proxy.js';

/*
 * The collector's face: the names other modules use, and no more. Loading it loads no server:
 * fastify and protobufjs come in when a collector or a proxy is started, so a command that
 * only reads traces over HTTP never holds them.
 */
export { COLLECTOR_DEFAULTS, startCollector } from './collector.js';
export type { RunningCollector } from './collector.js';
export { checkTrace, httpTraceSource } from './client/http-trace-source.js';
export { fetchStoredAnalysis } from './client/http-analysis.js';
export { parseDuration } from './query/params.js';
export type { TraceQuery } from './query/params.js';
export type { TraceSource } from './query/trace-source.js';
export type { LagSource } from './query/tracelab-api.js';
export type { DeskAnswer, ScenarioDesk } from './query/scenario-api.js';
export type { AutoscaleSource } from './query/autoscale-api.js';
export { storedTraceReader } from './query/stored-trace-reader.js';
export { DEFAULT_UI_DIR, loadUiAssets } from './query/ui-assets.js';

/** The web UI over a real Jaeger (see query/jaeger-proxy.ts), loaded on first use. */
export function buildJaegerProxy(opts: JaegerProxy.JaegerProxyOptions): FastifyInstance {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const proxy = require('./query/jaeger-proxy.js') as typeof JaegerProxy;
  return proxy.buildJaegerProxy(opts);
}
