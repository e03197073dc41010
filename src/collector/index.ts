export { COLLECTOR_DEFAULTS, startCollector } from './collector.js';
export type { CollectorOptions, RunningCollector } from './collector.js';
export { TraceStore } from './store/trace-store.js';
export { storeTraceSource } from './query/trace-source.js';
export { checkTrace, httpTraceSource, TraceSourceError } from './client/http-trace-source.js';
export type { HttpTraceSourceOptions, TraceSourceErrorCode } from './client/http-trace-source.js';
export { parseDuration } from './query/params.js';
export type { TraceSource } from './query/trace-source.js';
export type { TraceQuery } from './query/params.js';
export type {
  JaegerDependencyLink,
  JaegerOperation,
  JaegerResponse,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
} from '../model/jaeger-trace.js';
export { CollectorError } from './errors.js';
export { MetricsStore } from './store/metrics-store.js';
export type { ProcessSeries, ResourceSeriesPoint } from './store/metrics-store.js';
export { TRACELAB_API } from './query/tracelab-api.js';
export { storedTraceReader } from './query/stored-trace-reader.js';
export { analyseStored, tracesInWindow } from './query/stored-analysis.js';
export type { AnalyzeStored, StoredAnalysis } from './query/stored-analysis.js';
export { fetchStoredAnalysis } from './client/http-analysis.js';
export type { AnalysisQuery } from './query/params.js';
export type { Capabilities, GroupLag, LagReport, LagSource } from './query/tracelab-api.js';
export { DEFAULT_UI_DIR, loadUiAssets, registerUi, UI_CSP } from './query/ui-assets.js';
export type { UiAssets } from './query/ui-assets.js';
export { buildJaegerProxy, JAEGER_QUERY_PATHS } from './query/jaeger-proxy.js';
export type { JaegerProxyOptions } from './query/jaeger-proxy.js';
