import { CollectorError } from '../errors.js';
import type { Microseconds } from '../store/span-record.js';
import {
  ATTR_PROCESS_PID,
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_SYSTEM_CPU_LOGICAL_COUNT,
  METRIC_TRACELAB_SPANS_DROPPED,
  ATTR_TRACELAB_DROP_REASON,
} from '../../telemetry/index.js';
import {
  asArray,
  asObject,
  malformed,
  shape,
  toDouble,
  toInt,
  toAttributes,
  toResource,
  toTime,
} from './otlp-json.js';
import { ExportMetricsServiceRequest } from './otlp-schema.js';
import { parseJsonBody, Rejections } from './otlp-values.js';

/** One reading of one process at one instant; a field is absent when it was not sent. */
export interface ResourceSample {
  readonly timeUs: Microseconds;
  /** `process.cpu.utilization`: a ratio of all the process's CPUs (1 = every one busy). */
  readonly cpuUtilization?: number;
  /** `process.memory.usage`: resident memory, bytes. */
  readonly memoryBytes?: number;
}

/** The samples one request carries for one process (service.name + process.pid). */
export interface ProcessSamples {
  readonly service: string;
  /** `process.pid` of the resource; null when the sender did not say. */
  readonly pid: number | null;
  /** `system.cpu.logical.count`: what the utilization ratio is relative to, when sent. */
  readonly cpuCount?: number;
  /** Oldest first, one per instant. */
  readonly samples: readonly ResourceSample[];
}

/** A process's `tracelab.spans.dropped` for one reason: spans given up on since it started. */
export interface DroppedSpansPoint {
  readonly service: string;
  readonly pid: number | null;
  readonly reason: string;
  readonly timeUs: Microseconds;
  readonly count: number;
}

export interface DecodedMetrics {
  readonly processes: readonly ProcessSamples[];
  readonly dropped: readonly DroppedSpansPoint[];
  /** Data points of the metrics above that were accepted. */
  readonly acceptedPoints: number;
  readonly rejectedPoints: number;
  /** Empty when nothing was rejected. */
  readonly errorMessage: string;
}

/** Decodes a binary ExportMetricsServiceRequest. Throws OTLP_MALFORMED_BODY if it cannot. */
export function decodeOtlpMetricsProtobuf(body: Uint8Array): DecodedMetrics {
  let message: unknown;
  try {
    message = ExportMetricsServiceRequest.decode(body);
  } catch (err) {
    throw new CollectorError(
      'OTLP_MALFORMED_BODY',
      `malformed protobuf ExportMetricsServiceRequest: ${(err as Error).message}`,
    );
  }
  return toProcessSamples(message);
}

/** Decodes an OTLP/JSON ExportMetricsServiceRequest. */
export function decodeOtlpMetricsJson(text: string): DecodedMetrics {
  return toProcessSamples(parseJsonBody(text));
}

type Obj = Record<string, unknown>;
type Kept = 'cpu' | 'memory' | 'cpuCount';

const KEPT: Readonly<Record<string, Kept>> = {
  [METRIC_PROCESS_CPU_UTILIZATION]: 'cpu',
  [METRIC_PROCESS_MEMORY_USAGE]: 'memory',
  [METRIC_SYSTEM_CPU_LOGICAL_COUNT]: 'cpuCount',
};

interface Pending {
  readonly service: string;
  readonly pid: number | null;
  cpuCount?: number;
  readonly byTime: Map<number, { cpuUtilization?: number; memoryBytes?: number }>;
}

/** What one request has yielded so far. */
interface Decoding {
  /** By service and pid. */
  readonly processes: Map<string, Pending>;
  readonly dropped: DroppedSpansPoint[];
  accepted: number;
  readonly rejections: Rejections;
}

/** The process a ResourceMetrics entry is about. */
interface Process {
  readonly service: string;
  readonly pid: number | null;
}

/**
 * Both encodings share field names (see otlp-json.ts). Only the resource monitor's metrics
 * are kept; any other metric is accepted and dropped, so a general-purpose exporter may point
 * here. Points of one process at one instant are joined into one sample; CPU points split by
 * attribute (e.g. `cpu.mode`) add up.
 */
function toProcessSamples(message: unknown): DecodedMetrics {
  let resourceMetrics: readonly unknown[];
  try {
    resourceMetrics = asArray(asObject(message, '').resourceMetrics, 'resourceMetrics');
  } catch (err) {
    throw malformed(err, 'request');
  }
  const out: Decoding = {
    processes: new Map(),
    dropped: [],
    accepted: 0,
    rejections: new Rejections('data point(s)'),
  };
  for (let r = 0; r < resourceMetrics.length; r++) {
    readResourceMetrics(resourceMetrics[r], `resourceMetrics[${r}]`, out);
  }
  return {
    processes: [...out.processes.values()].map((p) => ({
      service: p.service,
      pid: p.pid,
      ...(p.cpuCount !== undefined ? { cpuCount: p.cpuCount } : {}),
      samples: [...p.byTime.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([timeUs, values]) => ({ timeUs: timeUs as Microseconds, ...values })),
    })),
    dropped: out.dropped,
    acceptedPoints: out.accepted,
    rejectedPoints: out.rejections.count,
    errorMessage: out.rejections.message(),
  };
}

function readResourceMetrics(raw: unknown, where: string, out: Decoding): void {
  let proc: Process, scopeMetrics: readonly unknown[];
  try {
    const rm = asObject(raw, '');
    const resource = toResource(rm.resource);
    const pidAttr = resource.attributes.find((a) => a.key === ATTR_PROCESS_PID);
    proc = {
      service: resource.serviceName,
      pid: pidAttr && pidAttr.type === 'int64' ? pidAttr.value : null,
    };
    scopeMetrics = asArray(rm.scopeMetrics, 'scopeMetrics');
  } catch (err) {
    throw malformed(err, where);
  }
  for (let s = 0; s < scopeMetrics.length; s++) {
    let metrics: readonly unknown[];
    try {
      metrics = asArray(asObject(scopeMetrics[s], '').metrics, 'metrics');
    } catch (err) {
      throw malformed(err, `${where}.scopeMetrics[${s}]`);
    }
    for (let m = 0; m < metrics.length; m++) {
      readMetric(metrics[m], `${where}.scopeMetrics[${s}].metrics[${m}]`, proc, out);
    }
  }
}

function readMetric(raw: unknown, where: string, proc: Process, out: Decoding): void {
  let kept: Kept | undefined, points: readonly unknown[];
  try {
    const metric = asObject(raw, '');
    if (metric.name === METRIC_TRACELAB_SPANS_DROPPED) {
      readDroppedSpans(metric, proc, out);
      return;
    }
    kept = typeof metric.name === 'string' ? KEPT[metric.name] : undefined;
    if (kept === undefined) return;
    points = numberDataPoints(metric);
  } catch (err) {
    throw malformed(err, where);
  }
  const key = `${proc.service}\u0000${proc.pid ?? ''}`;
  let pending = out.processes.get(key);
  if (!pending) out.processes.set(key, (pending = { ...proc, byTime: new Map() }));
  for (let p = 0; p < points.length; p++) {
    let point: { timeUs: Microseconds; value: number };
    try {
      point = toPoint(asObject(points[p], ''));
    } catch (err) {
      throw malformed(err, `${where}.dataPoints[${p}]`);
    }
    const problem = check(kept, point);
    if (problem) {
      out.rejections.add(`${where}.dataPoints[${p}]`, problem);
      continue;
    }
    out.accepted++;
    if (kept === 'cpuCount') {
      pending.cpuCount = point.value;
      continue;
    }
    let sample = pending.byTime.get(point.timeUs);
    if (!sample) pending.byTime.set(point.timeUs, (sample = {}));
    if (kept === 'cpu') sample.cpuUtilization = (sample.cpuUtilization ?? 0) + point.value;
    else sample.memoryBytes = point.value;
  }
}

/** `tracelab.spans.dropped`: each point a count of spans given up on, for one reason. */
function readDroppedSpans(metric: Obj, proc: Process, out: Decoding): void {
  for (const [p, raw] of numberDataPoints(metric).entries()) {
    const point = asObject(raw, `dataPoints[${p}]`);
    const { timeUs, value } = toPoint(point);
    const reason = toAttributes(point.attributes, `dataPoints[${p}].attributes`).find(
      (a) => a.key === ATTR_TRACELAB_DROP_REASON,
    );
    if (!Number.isInteger(value) || value < 0) {
      throw shape(`dataPoints[${p}]`, 'expected a whole number of spans');
    }
    out.dropped.push({
      ...proc,
      reason: reason ? String(reason.value) : 'unknown',
      timeUs,
      count: value,
    });
    out.accepted++;
  }
}

/** A Gauge's or a Sum's points; none for other kinds (a histogram under a kept name). */
function numberDataPoints(metric: Obj): readonly unknown[] {
  // protobufjs sets only the oneof member that was sent as an own property.
  for (const kind of ['gauge', 'sum'] as const) {
    if (Object.hasOwn(metric, kind) && metric[kind] !== null && metric[kind] !== undefined) {
      return asArray(asObject(metric[kind], kind).dataPoints, `${kind}.dataPoints`);
    }
  }
  return [];
}

function toPoint(raw: Obj): { timeUs: Microseconds; value: number } {
  const timeUs = toTime(raw.timeUnixNano, 'timeUnixNano').us;
  if (Object.hasOwn(raw, 'asDouble')) return { timeUs, value: toDouble(raw.asDouble, 'asDouble') };
  if (Object.hasOwn(raw, 'asInt')) return { timeUs, value: toInt(raw.asInt, 'asInt') };
  throw shape('value', 'expected asDouble or asInt');
}

function check(kept: Kept, point: { timeUs: number; value: number }): string | undefined {
  if (point.timeUs <= 0) return 'no timeUnixNano';
  if (!Number.isFinite(point.value) || point.value < 0) {
    return `value ${point.value} is not a finite non-negative number`;
  }
  if (kept === 'cpuCount' && (!Number.isInteger(point.value) || point.value < 1)) {
    return `CPU count ${point.value} is not a positive whole number`;
  }
  return undefined;
}
