import { availableParallelism } from 'node:os';
import { round } from '../../errors/index.js';
import type { DroppedSpansReport } from '../../model/index.js';
import type { DroppedSpansPoint, ProcessSamples } from '../ingest/otlp-metrics.js';

/** One point of a process's series, as the UI draws it. */
export interface ResourceSeriesPoint {
  /** Microseconds since the epoch. */
  readonly t: number;
  /** % of one core (196 = about two cores busy); null when the sample carried no CPU figure. */
  readonly cpuPercent: number | null;
  /** Resident memory, MB (MiB, as the `resource.memory.*_mb` span attributes). */
  readonly memoryMb: number | null;
}

export interface ProcessSeries {
  readonly service: string;
  readonly pid: number | null;
  readonly points: readonly ResourceSeriesPoint[];
}

export interface MetricsQuery {
  /** Only this service; all when absent. */
  readonly service?: string;
  /** Microseconds since the epoch, inclusive. */
  readonly startUs?: number;
  readonly endUs?: number;
}

export interface MetricsStoreOptions {
  /** Points kept per process; the oldest are dropped first. */
  readonly maxPointsPerProcess: number;
  /** Processes kept; the one written to least recently is dropped first (pids change on restart). */
  readonly maxProcesses?: number;
  /** CPUs a utilization ratio is relative to when the sender did not say. */
  readonly defaultCpuCount?: number;
}

const BYTES_PER_MB = 1024 * 1024;

/** A fixed-size ring of one process's points, oldest first; NaN marks a missing figure. */
class SeriesRing {
  readonly t: Float64Array;
  readonly cpu: Float64Array;
  readonly mem: Float64Array;
  /** Index of the oldest point. */
  private head = 0;
  size = 0;
  cpuCount: number | undefined;

  constructor(
    readonly service: string,
    readonly pid: number | null,
    readonly capacity: number,
  ) {
    this.t = new Float64Array(capacity);
    this.cpu = new Float64Array(capacity);
    this.mem = new Float64Array(capacity);
  }

  private slot(i: number): number {
    return (this.head + i) % this.capacity;
  }

  /** Appends a newer point, merges into an equal instant (a re-sent export), drops older ones. */
  put(tUs: number, cpuPercent: number, memoryMb: number): boolean {
    if (this.size > 0) {
      const lastT = this.t[this.slot(this.size - 1)]!;
      if (tUs <= lastT) {
        const i = this.indexAtOrAfter(tUs);
        if (i >= this.size || this.t[this.slot(i)] !== tUs) return false;
        const at = this.slot(i);
        if (!Number.isNaN(cpuPercent)) this.cpu[at] = cpuPercent;
        if (!Number.isNaN(memoryMb)) this.mem[at] = memoryMb;
        return true;
      }
    }
    let at: number;
    if (this.size < this.capacity) {
      at = this.slot(this.size);
      this.size++;
    } else {
      at = this.head;
      this.head = (this.head + 1) % this.capacity;
    }
    this.t[at] = tUs;
    this.cpu[at] = cpuPercent;
    this.mem[at] = memoryMb;
    return true;
  }

  /** First position whose time is ≥ tUs (size when none). */
  indexAtOrAfter(tUs: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[this.slot(mid)]! < tUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  read(startUs: number, endUs: number): ResourceSeriesPoint[] {
    const points: ResourceSeriesPoint[] = [];
    for (let i = this.indexAtOrAfter(startUs); i < this.size; i++) {
      const at = this.slot(i);
      const t = this.t[at]!;
      if (t > endUs) break;
      const cpu = this.cpu[at]!;
      const mem = this.mem[at]!;
      points.push({
        t,
        cpuPercent: Number.isNaN(cpu) ? null : cpu,
        memoryMb: Number.isNaN(mem) ? null : mem,
      });
    }
    return points;
  }
}

/**
 * The resource monitor's samples, per process, in bounded rings. CPU arrives as OpenTelemetry's
 * utilization ratio and is kept as % of one core, the unit of the span attributes and the UI.
 * In memory only: the series are for looking at a run while it goes on.
 */
export class MetricsStore {
  private readonly series = new Map<string, SeriesRing>();
  /** The latest dropped-spans point per service, process and reason. */
  private readonly dropped = new Map<string, DroppedSpansPoint>();
  private readonly maxProcesses: number;
  private readonly defaultCpuCount: number;

  constructor(private readonly options: MetricsStoreOptions) {
    this.maxProcesses = options.maxProcesses ?? 256;
    this.defaultCpuCount = options.defaultCpuCount ?? availableParallelism();
  }

  /** Returns the number of points stored (re-sent or out-of-order points are not). */
  add(processes: readonly ProcessSamples[]): number {
    let stored = 0;
    for (const p of processes) {
      const key = `${p.service}\u0000${p.pid ?? ''}`;
      let ring = this.series.get(key);
      if (ring) {
        // Most recently written last: eviction takes the first.
        this.series.delete(key);
      } else {
        ring = new SeriesRing(p.service, p.pid, this.options.maxPointsPerProcess);
        if (this.series.size >= this.maxProcesses) {
          this.series.delete(this.series.keys().next().value!);
        }
      }
      this.series.set(key, ring);
      if (p.cpuCount !== undefined) ring.cpuCount = p.cpuCount;
      const cpus = ring.cpuCount ?? this.defaultCpuCount;
      for (const s of p.samples) {
        const cpu = s.cpuUtilization === undefined ? NaN : round(s.cpuUtilization * cpus * 100, 1);
        const mem = s.memoryBytes === undefined ? NaN : round(s.memoryBytes / BYTES_PER_MB, 2);
        if (ring.put(s.timeUs, cpu, mem)) stored++;
      }
    }
    return stored;
  }

  /** Each process's points in the window, oldest first; processes without any are left out. */
  query(q: MetricsQuery = {}): ProcessSeries[] {
    const startUs = q.startUs ?? 0;
    const endUs = q.endUs ?? Number.MAX_SAFE_INTEGER;
    const out: ProcessSeries[] = [];
    for (const ring of this.series.values()) {
      if (q.service !== undefined && ring.service !== q.service) continue;
      const points = ring.read(startUs, endUs);
      if (points.length > 0) out.push({ service: ring.service, pid: ring.pid, points });
    }
    return out.sort((a, b) => a.service.localeCompare(b.service) || (a.pid ?? 0) - (b.pid ?? 0));
  }

  /**
   * Takes the services' `tracelab.spans.dropped` points: each is a process's count since it
   * started, so the latest per process and reason is kept (a re-sent one changes nothing), and
   * a process that restarted (a new pid) adds its own.
   */
  addDropped(points: readonly DroppedSpansPoint[]): void {
    for (const p of points) {
      const key = `${p.service}\u0000${p.pid ?? ''}\u0000${p.reason}`;
      const known = this.dropped.get(key);
      if (!known || p.timeUs >= known.timeUs) this.dropped.set(key, p);
    }
  }

  /** Spans dropped per service, summed over its processes. */
  droppedSpans(): DroppedSpansReport {
    const byService = new Map<string, Map<string, number>>();
    for (const p of this.dropped.values()) {
      if (p.count === 0) continue;
      let reasons = byService.get(p.service);
      if (!reasons) byService.set(p.service, (reasons = new Map<string, number>()));
      reasons.set(p.reason, (reasons.get(p.reason) ?? 0) + p.count);
    }
    const services = [...byService.entries()]
      .map(([service, reasons]) => ({
        service,
        dropped: [...reasons.values()].reduce((a, b) => a + b, 0),
        reasons: [...reasons.entries()]
          .map(([reason, count]) => ({ reason, count }))
          .sort((a, b) => b.count - a.count),
      }))
      .sort((a, b) => b.dropped - a.dropped || a.service.localeCompare(b.service));
    return { total: services.reduce((n, s) => n + s.dropped, 0), services };
  }

  /** Points held over all processes. */
  pointCount(): number {
    let n = 0;
    for (const ring of this.series.values()) n += ring.size;
    return n;
  }
}
