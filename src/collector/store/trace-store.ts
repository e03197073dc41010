import { spanTags } from '../query/jaeger-transform.js';
import type { JaegerDependencyLink, JaegerOperation } from '../../model/index.js';
import type { SpanKindName, SpanRecord } from './span-record.js';
import type { TraceQuery } from '../query/params.js';

export interface TraceStoreOptions {
  /** The most spans kept; whole traces are evicted, the first received first. */
  readonly maxSpans: number;
}

export interface TraceStoreStats {
  readonly traces: number;
  readonly spans: number;
  readonly evictedTraces: number;
}

interface TraceEntry {
  readonly traceId: string;
  readonly spans: SpanRecord[];
  /** Built only for large traces; small ones are scanned, which costs less memory. */
  spanIds: Set<string> | undefined;
  startUs: number;
  endUs: number;
  evicted: boolean;
  /** The last findTracesOfEach that took this trace. */
  takenBy: number;
  /**
   * This trace's place in each time index it is in: a few, so an array scanned (cheaper per
   * span than a Map of its own); `byIndex` is built once there are many.
   */
  readonly indexed: IndexEntry[];
  byIndex: Map<TimeIndex, IndexEntry> | undefined;
}

interface IndexEntry {
  readonly trace: TraceEntry;
  readonly index: TimeIndex;
  /** Earliest start among this trace's spans that belong to the index. */
  keyUs: number;
}

/** A service's traces, and its operations'. */
interface ServiceEntry {
  readonly index: TimeIndex;
  readonly operations: Map<string, OperationEntry>;
}

interface OperationEntry {
  readonly index: TimeIndex;
  readonly kinds: Set<SpanKindName>;
}

/**
 * Traces of one service (or one service and operation), ordered by start time, so a search
 * walks back from its end time and stops after `limit` hits. Evicted traces are tombstoned
 * and swept out once they are half of the list, which keeps eviction O(1) amortized.
 */
class TimeIndex {
  entries: IndexEntry[] = [];
  dead = 0;

  constructor(
    readonly service: string,
    /** Undefined for the service's own index. */
    readonly operation: string | undefined,
  ) {}

  get live(): number {
    return this.entries.length - this.dead;
  }

  insert(entry: IndexEntry): void {
    const last = this.entries[this.entries.length - 1];
    if (!last || last.keyUs <= entry.keyUs) this.entries.push(entry);
    else this.entries.splice(this.upperBound(entry.keyUs), 0, entry);
  }

  /** Re-sorts one entry whose key went down (an earlier span arrived late). */
  move(entry: IndexEntry, newKeyUs: number): void {
    let i = this.lowerBound(entry.keyUs);
    while (i < this.entries.length && this.entries[i] !== entry) i++;
    if (i < this.entries.length) this.entries.splice(i, 1);
    entry.keyUs = newKeyUs;
    this.insert(entry);
  }

  markDead(): void {
    this.dead++;
    if (this.dead > 64 && this.dead * 2 > this.entries.length) {
      this.entries = this.entries.filter((e) => !e.trace.evicted);
      this.dead = 0;
    }
  }

  /** First index whose key is greater than keyUs. */
  upperBound(keyUs: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.keyUs <= keyUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(keyUs: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.keyUs < keyUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The collector's trace store: bounded by a span count, a trace by id in O(1), searches by
 * service and operation over time-ordered indexes. Spans that arrive late or out of order
 * join their trace; trace ids are lowercase hex here, so lookups ignore case.
 */
export class TraceStore {
  private readonly traces = new Map<string, TraceEntry>();
  /** service → its time index, and its operations' with the span kinds seen. */
  private readonly byService = new Map<string, ServiceEntry>();
  /** Trace id → ids of the traces with a span linking into it (the chain forwards). */
  private readonly linkedFrom = new Map<string, Set<string>>();
  private spanCount = 0;
  private evictedTraces = 0;
  private searches = 0;
  /** The widest gap seen between a trace's first and last span start: bounds searches. */
  private maxSpreadUs = 0;
  private listener: ((spans: readonly SpanRecord[]) => void) | undefined;

  constructor(private readonly options: TraceStoreOptions) {}

  /** Calls `listener` with each batch added, as given (persistence appends it). */
  onAdded(listener: (spans: readonly SpanRecord[]) => void): void {
    this.listener = listener;
  }

  stats(): TraceStoreStats {
    return { traces: this.traces.size, spans: this.spanCount, evictedTraces: this.evictedTraces };
  }

  /** Adds decoded spans; a span id already in its trace is ignored (an export retried). */
  addSpans(spans: readonly SpanRecord[]): void {
    if (spans.length === 0) return;
    for (const span of spans) this.addSpan(span);
    this.evict();
    this.listener?.(spans);
  }

  getTrace(traceId: string): readonly SpanRecord[] | undefined {
    return this.traces.get(traceId.toLowerCase())?.spans;
  }

  /**
   * The ids of the traces linked to this one, directly or through others (backwards by the
   * spans' links, forwards by who links here), itself included, by start; at most `max`.
   * Empty when the trace is not stored.
   */
  chainOf(traceId: string, max = MAX_CHAIN): string[] {
    const first = this.traces.get(traceId.toLowerCase());
    if (!first) return [];
    const seen = new Map<string, TraceEntry>([[first.traceId, first]]);
    const queue = [first];
    const visit = (id: string) => {
      const t = this.traces.get(id);
      if (!t || seen.has(id) || seen.size >= max) return;
      seen.set(id, t);
      queue.push(t);
    };
    for (let t = queue.shift(); t; t = queue.shift()) {
      for (const s of t.spans) for (const l of s.links) visit(l.traceId);
      for (const id of this.linkedFrom.get(t.traceId) ?? []) visit(id);
    }
    return [...seen.values()].sort((a, b) => a.startUs - b.startUs).map((t) => t.traceId);
  }

  /** Traces, most recent first, with a span that matches every condition of the query. */
  findTraces(query: TraceQuery): (readonly SpanRecord[])[] {
    return this.search(query).map((trace) => trace.spans);
  }

  /**
   * findTraces for each service in turn, each trace taken once (where first found), as a
   * client asking for each service's traces and dropping those it has would get them; says
   * which services' searches reached the limit.
   */
  findTracesOfEach(
    services: readonly string[],
    query: Omit<TraceQuery, 'service'>,
  ): { traces: (readonly SpanRecord[])[]; limited: string[] } {
    const taken = ++this.searches;
    const traces: (readonly SpanRecord[])[] = [];
    const limited: string[] = [];
    for (const service of services) {
      const found = this.search({ ...query, service });
      if (found.length >= query.limit) limited.push(service);
      for (const trace of found) {
        if (trace.takenBy === taken) continue;
        trace.takenBy = taken;
        traces.push(trace.spans);
      }
    }
    return { traces, limited };
  }

  private search(query: TraceQuery): TraceEntry[] {
    const service = this.byService.get(query.service);
    const index =
      query.operation === '' ? service?.index : service?.operations.get(query.operation)?.index;
    if (!index) return [];
    const found: TraceEntry[] = [];
    const lowestKeyUs = query.startUs - this.maxSpreadUs;
    // Asked for the service (and operation) in the window only, a trace whose first such span
    // starts in the window matches without looking at its spans: the index key is that start.
    const byKey =
      query.minDurationUs === undefined &&
      query.maxDurationUs === undefined &&
      Object.keys(query.tags).length === 0;
    for (let i = index.upperBound(query.endUs) - 1; i >= 0 && found.length < query.limit; i--) {
      const entry = index.entries[i]!;
      if (entry.keyUs < lowestKeyUs) break;
      if (entry.trace.evicted) continue;
      if (
        (byKey && entry.keyUs >= query.startUs) ||
        entry.trace.spans.some((s) => spanMatches(s, query))
      ) {
        found.push(entry.trace);
      }
    }
    return found;
  }

  services(): string[] {
    return [...this.byService.keys()].sort();
  }

  operations(service: string, spanKind = ''): JaegerOperation[] {
    const ops = this.byService.get(service)?.operations;
    if (!ops) return [];
    const out: JaegerOperation[] = [];
    for (const [name, { kinds }] of ops) {
      for (const kind of kinds) {
        const shown = kind === 'unspecified' ? '' : kind;
        if (spanKind === '' || spanKind === shown) out.push({ name, spanKind: shown });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.spanKind.localeCompare(b.spanKind));
  }

  /** Calls between services (a parent span in one, its child in another) in a time window. */
  dependencies(endUs: number, lookbackUs: number): JaegerDependencyLink[] {
    const startUs = endUs - lookbackUs;
    const counts = new Map<string, JaegerDependencyLink>();
    for (const trace of this.traces.values()) {
      if (trace.endUs < startUs || trace.startUs > endUs) continue;
      const serviceOf = new Map<string, string>();
      for (const s of trace.spans) serviceOf.set(s.spanId, s.resource.serviceName);
      for (const s of trace.spans) {
        const parent = s.parentSpanId === '' ? undefined : serviceOf.get(s.parentSpanId);
        if (parent === undefined || parent === s.resource.serviceName) continue;
        const key = `${parent}\u0000${s.resource.serviceName}`;
        const link = counts.get(key);
        counts.set(key, {
          parent,
          child: s.resource.serviceName,
          callCount: (link?.callCount ?? 0) + 1,
        });
      }
    }
    return [...counts.values()];
  }

  /** Every trace's spans, the first received first (the order eviction follows). */
  *allTraces(): IterableIterator<readonly SpanRecord[]> {
    for (const trace of this.traces.values()) yield trace.spans;
  }

  private addSpan(span: SpanRecord): void {
    let trace = this.traces.get(span.traceId);
    if (!trace) {
      trace = {
        traceId: span.traceId,
        spans: [],
        spanIds: undefined,
        startUs: span.startUs,
        endUs: span.startUs + span.durationUs,
        evicted: false,
        takenBy: 0,
        indexed: [],
        byIndex: undefined,
      };
      this.traces.set(span.traceId, trace);
    } else if (hasSpan(trace, span.spanId)) {
      return;
    }
    trace.spans.push(span);
    this.indexLinks(span, true);
    if (trace.spanIds) trace.spanIds.add(span.spanId);
    else if (trace.spans.length >= SPAN_SET_THRESHOLD) {
      trace.spanIds = new Set(trace.spans.map((s) => s.spanId));
    }
    this.spanCount++;
    trace.startUs = Math.min(trace.startUs, span.startUs);
    trace.endUs = Math.max(trace.endUs, span.startUs + span.durationUs);
    const spreadUs = span.startUs - trace.startUs;
    if (spreadUs > this.maxSpreadUs) this.maxSpreadUs = spreadUs;

    const name = span.resource.serviceName;
    let service = this.byService.get(name);
    if (!service) {
      service = { index: new TimeIndex(name, undefined), operations: new Map() };
      this.byService.set(name, service);
    }
    let operation = service.operations.get(span.name);
    if (!operation) {
      operation = { index: new TimeIndex(name, span.name), kinds: new Set() };
      service.operations.set(span.name, operation);
    }
    enterIndex(trace, service.index, span.startUs);
    enterIndex(trace, operation.index, span.startUs);
    operation.kinds.add(span.kind);
  }

  /** Adds (or removes) a span's links to other traces in the forward index. */
  private indexLinks(span: SpanRecord, add: boolean): void {
    for (const l of span.links) {
      if (l.traceId === span.traceId) continue;
      let from = this.linkedFrom.get(l.traceId);
      if (add) {
        if (!from) this.linkedFrom.set(l.traceId, (from = new Set()));
        from.add(span.traceId);
      } else if (from) {
        from.delete(span.traceId);
        if (from.size === 0) this.linkedFrom.delete(l.traceId);
      }
    }
  }

  private evict(): void {
    while (this.spanCount > this.options.maxSpans) {
      const oldest = this.traces.values().next();
      if (oldest.done) return;
      this.remove(oldest.value);
    }
  }

  private remove(trace: TraceEntry): void {
    this.traces.delete(trace.traceId);
    trace.evicted = true;
    this.spanCount -= trace.spans.length;
    this.evictedTraces++;
    for (const s of trace.spans) this.indexLinks(s, false);
    this.linkedFrom.delete(trace.traceId);
    for (const { index } of trace.indexed) {
      index.markDead();
      if (index.live === 0) this.dropIndex(index);
    }
  }

  /** Forgets a service or operation once no stored trace has it. */
  private dropIndex(index: TimeIndex): void {
    const service = this.byService.get(index.service);
    if (!service) return;
    if (index.operation === undefined) {
      if (service.index === index) this.byService.delete(index.service);
    } else if (service.operations.get(index.operation)?.index === index) {
      service.operations.delete(index.operation);
    }
  }
}

/** Past this many indexes a trace finds its place in them by a Map. */
const INDEXED_MAP_THRESHOLD = 16;

/** Puts the trace in the time index, or moves it earlier there if this span starts earlier. */
function enterIndex(trace: TraceEntry, index: TimeIndex, startUs: number): void {
  const entry = indexEntry(trace, index);
  if (!entry) {
    const created: IndexEntry = { trace, index, keyUs: startUs };
    trace.indexed.push(created);
    if (trace.byIndex) trace.byIndex.set(index, created);
    else if (trace.indexed.length > INDEXED_MAP_THRESHOLD) {
      trace.byIndex = new Map(trace.indexed.map((e) => [e.index, e]));
    }
    index.insert(created);
  } else if (startUs < entry.keyUs) {
    index.move(entry, startUs);
  }
}

function indexEntry(trace: TraceEntry, index: TimeIndex): IndexEntry | undefined {
  if (trace.byIndex) return trace.byIndex.get(index);
  for (const e of trace.indexed) if (e.index === index) return e;
  return undefined;
}

const SPAN_SET_THRESHOLD = 32;
/** Traces one chain request gathers at most (an order's is 4). */
const MAX_CHAIN = 64;

function hasSpan(trace: TraceEntry, spanId: string): boolean {
  if (trace.spanIds) return trace.spanIds.has(spanId);
  for (const s of trace.spans) if (s.spanId === spanId) return true;
  return false;
}

function spanMatches(s: SpanRecord, q: TraceQuery): boolean {
  if (s.resource.serviceName !== q.service) return false;
  if (q.operation !== '' && s.name !== q.operation) return false;
  if (s.startUs < q.startUs || s.startUs > q.endUs) return false;
  if (q.minDurationUs !== undefined && s.durationUs < q.minDurationUs) return false;
  if (q.maxDurationUs !== undefined && s.durationUs > q.maxDurationUs) return false;
  for (const key in q.tags) {
    if (!hasTag(s, key, q.tags[key]!)) return false;
  }
  return true;
}

/** Jaeger matches a tag on the span, its process, or any of its logs. */
function hasTag(s: SpanRecord, key: string, value: string): boolean {
  const match = (t: { key: string; value: unknown; exact?: string }) =>
    t.key === key && (t.exact ?? String(t.value)) === value;
  return (
    spanTags(s).some(match) ||
    s.resource.attributes.some(match) ||
    (key === 'event' && s.events.some((e) => e.name === value)) ||
    s.events.some((e) => e.attributes.some(match))
  );
}
