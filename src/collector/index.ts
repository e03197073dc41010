export { COLLECTOR_DEFAULTS, startCollector } from './collector.js';
export type { CollectorOptions, RunningCollector } from './collector.js';
export { TraceStore } from './store.js';
export { storeTraceSource } from './trace-source.js';
export { checkTrace, httpTraceSource, TraceSourceError } from './http-trace-source.js';
export type { HttpTraceSourceOptions, TraceSourceErrorCode } from './http-trace-source.js';
export { parseDuration } from './query-params.js';
export type { TraceSource } from './trace-source.js';
export type { TraceQuery } from './query-params.js';
export type {
  JaegerDependencyLink,
  JaegerOperation,
  JaegerResponse,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
} from '../model/jaeger-trace.js';
export { CollectorError } from './errors.js';
export { MetricsStore } from './metrics-store.js';
export type { ProcessSeries, ResourceSeriesPoint } from './metrics-store.js';
export { TRACELAB_API } from './tracelab-api.js';
export { storedTraceReader } from './stored-trace-reader.js';
export { analyseStored, tracesInWindow } from './stored-analysis.js';
export type { AnalyzeStored, StoredAnalysis } from './stored-analysis.js';
export { fetchStoredAnalysis } from './http-analysis.js';
export type { AnalysisQuery } from './query-params.js';
export type { Capabilities, GroupLag, LagReport, LagSource } from './tracelab-api.js';
export { DEFAULT_UI_DIR, loadUiAssets, registerUi, UI_CSP } from './ui-assets.js';
export type { UiAssets } from './ui-assets.js';
export { buildJaegerProxy, JAEGER_QUERY_PATHS } from './jaeger-proxy.js';
export type { JaegerProxyOptions } from './jaeger-proxy.js';
