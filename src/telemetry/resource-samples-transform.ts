import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import {
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_SYSTEM_CPU_LOGICAL_COUNT,
} from './semconv.js';

/** One reading of the process (the resource monitor's ResourcePoint). */
export interface ProcessReading {
  /** Milliseconds since the epoch. */
  readonly timeMs: number;
  /** Process CPU time since start, µs. */
  readonly cpuUs: number;
  readonly rssBytes: number;
}

export interface ReadingsToMetricsInput {
  /** The reading before the first of `readings`, if known: CPU utilization is a difference. */
  readonly previous?: ProcessReading;
  /** Oldest first. */
  readonly readings: readonly ProcessReading[];
  /** CPUs available to the process: utilization is relative to all of them. */
  readonly cpuCount: number;
  /** When the process started (ms since the epoch): the start of the cumulative series. */
  readonly processStartMs: number;
}

/**
 * The monitor's readings as OpenTelemetry metric data, one data point per reading with the
 * reading's own time, so every 100 ms sample reaches the backend (an instrument would keep only
 * the last value per export). Pure.
 *
 * - `process.cpu.utilization` (Gauge, `1`): CPU time between the reading and the one before ÷
 *   wall time ÷ CPUs; its start time is the reading before.
 * - `process.memory.usage` (non-monotonic cumulative Sum, `By`, as the convention's
 *   UpDownCounter): resident memory.
 * - `system.cpu.logical.count` (same kind, `{cpu}`): so a backend can turn the ratio back into
 *   % of one core.
 */
export function readingsToMetrics(input: ReadingsToMetricsInput): MetricData[] {
  const { readings, cpuCount } = input;
  const last = readings[readings.length - 1];
  if (!last) return [];
  const processStart = millisToHrTime(input.processStartMs);
  const cpu: DataPoint<number>[] = [];
  const memory: DataPoint<number>[] = [];
  let before = input.previous;
  for (const r of readings) {
    const end = millisToHrTime(r.timeMs);
    if (before && r.timeMs > before.timeMs) {
      const wallUs = (r.timeMs - before.timeMs) * 1000;
      const ratio = Math.max(0, r.cpuUs - before.cpuUs) / wallUs / cpuCount;
      cpu.push({
        startTime: millisToHrTime(before.timeMs),
        endTime: end,
        attributes: {},
        value: ratio,
      });
    }
    memory.push({ startTime: processStart, endTime: end, attributes: {}, value: r.rssBytes });
    before = r;
  }
  const metrics: MetricData[] = [];
  if (cpu.length > 0) {
    metrics.push({
      descriptor: {
        name: METRIC_PROCESS_CPU_UTILIZATION,
        description:
          'Difference in process CPU time since the last sample, divided by the elapsed time and the number of CPUs available to the process.',
        unit: '1',
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: cpu,
    });
  }
  metrics.push(
    {
      descriptor: {
        name: METRIC_PROCESS_MEMORY_USAGE,
        description: 'The amount of physical memory in use (resident set size).',
        unit: 'By',
        valueType: ValueType.INT,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: false,
      dataPoints: memory,
    },
    {
      descriptor: {
        name: METRIC_SYSTEM_CPU_LOGICAL_COUNT,
        description: 'Logical CPUs available to the process.',
        unit: '{cpu}',
        valueType: ValueType.INT,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: false,
      dataPoints: [
        {
          startTime: processStart,
          endTime: millisToHrTime(last.timeMs),
          attributes: {},
          value: cpuCount,
        },
      ],
    },
  );
  return metrics;
}
