import { CollectorError } from '../errors.js';
import { parseOtlpJson } from '../store/int64.js';
import { ExportMetricsServiceRequest } from './otlp-schema.js';
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
import type { Microseconds } from '../store/span-record.js';
import {
  ATTR_PROCESS_PID,
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_SYSTEM_CPU_LOGICAL_COUNT,
  METRIC_TRACELAB_SPANS_DROPPED,
  ATTR_TRACELAB_DROP_REASON,
} from '../../telemetry/semconv.js';

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
  let message: unknown;
  try {
    message = parseOtlpJson(text);
  } catch (err) {
    throw new CollectorError('OTLP_MALFORMED_BODY', `malformed JSON: ${(err as Error).message}`);
  }
  return toProcessSamples(message);
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
  const processes = new Map<string, Pending>();
  const dropped: DroppedSpansPoint[] = [];
  const reasons: string[] = [];
  let accepted = 0;
  let rejected = 0;
  for (let r = 0; r < resourceMetrics.length; r++) {
    let rm: Obj, scopeMetrics: readonly unknown[], service: string, pid: number | null;
    try {
      rm = asObject(resourceMetrics[r], '');
      const resource = toResource(rm.resource);
      service = resource.serviceName;
      const pidAttr = resource.attributes.find((a) => a.key === ATTR_PROCESS_PID);
      pid = pidAttr && pidAttr.type === 'int64' ? pidAttr.value : null;
      scopeMetrics = asArray(rm.scopeMetrics, 'scopeMetrics');
    } catch (err) {
      throw malformed(err, `resourceMetrics[${r}]`);
    }
    const key = `${service}\u0000${pid ?? ''}`;
    let pending = processes.get(key);
    for (let s = 0; s < scopeMetrics.length; s++) {
      let metrics: readonly unknown[];
      try {
        metrics = asArray(asObject(scopeMetrics[s], '').metrics, 'metrics');
      } catch (err) {
        throw malformed(err, `resourceMetrics[${r}].scopeMetrics[${s}]`);
      }
      for (let m = 0; m < metrics.length; m++) {
        const where = `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`;
        let kept: Kept | undefined, points: readonly unknown[];
        try {
          const metric = asObject(metrics[m], '');
          if (metric.name === METRIC_TRACELAB_SPANS_DROPPED) {
            for (const [p, raw] of numberDataPoints(metric).entries()) {
              const point = asObject(raw, `dataPoints[${p}]`);
              const { timeUs, value } = toPoint(point);
              const reason = toAttributes(point.attributes, `dataPoints[${p}].attributes`).find(
                (a) => a.key === ATTR_TRACELAB_DROP_REASON,
              );
              if (!Number.isInteger(value) || value < 0) {
                throw shape(`dataPoints[${p}]`, 'expected a whole number of spans');
              }
              dropped.push({
                service,
                pid,
                reason: reason ? String(reason.value) : 'unknown',
                timeUs,
                count: value,
              });
              accepted++;
            }
            continue;
          }
          kept = typeof metric.name === 'string' ? KEPT[metric.name] : undefined;
          if (kept === undefined) continue;
          points = numberDataPoints(metric);
        } catch (err) {
          throw malformed(err, where);
        }
        if (!pending) {
          pending = { service, pid, byTime: new Map() };
          processes.set(key, pending);
        }
        for (let p = 0; p < points.length; p++) {
          let point: { timeUs: Microseconds; value: number };
          try {
            point = toPoint(asObject(points[p], ''));
          } catch (err) {
            throw malformed(err, `${where}.dataPoints[${p}]`);
          }
          const problem = check(kept, point);
          if (problem) {
            rejected++;
            if (reasons.length < 3) reasons.push(`${where}.dataPoints[${p}]: ${problem}`);
            continue;
          }
          accepted++;
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
    }
  }
  const errorMessage =
    rejected === 0
      ? ''
      : `${rejected} data point(s) rejected: ${reasons.join('; ')}${rejected > reasons.length ? '; …' : ''}`;
  return {
    processes: [...processes.values()].map((p) => ({
      service: p.service,
      pid: p.pid,
      ...(p.cpuCount !== undefined ? { cpuCount: p.cpuCount } : {}),
      samples: [...p.byTime.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([timeUs, values]) => ({ timeUs: timeUs as Microseconds, ...values })),
    })),
    dropped,
    acceptedPoints: accepted,
    rejectedPoints: rejected,
    errorMessage,
  };
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
