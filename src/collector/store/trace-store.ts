import { spanTags } from '../query/jaeger-transform.js';
import type { JaegerDependencyLink, JaegerOperation } from '../../model/index.js';
import type { SpanKindName, SpanRecord } from './span-record.js';
import type { TraceQuery } from '../query/params.js';
import { TimeIndex } from './time-index.js';

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
  spans: SpanRecord[];
  /** Built only for large traces; small ones are scanned, which costs less memory. */
  spanIds: Set<string> | undefined;
  startUs: number;
  endUs: number;
  evicted: boolean;
  /** The last findTracesOfEach that took this trace. */
  takenBy: number;
  /**
   * The time indexes this trace is in, and beside each its key there: a few, so arrays
   * scanned (cheaper per span than a Map of its own); `indexAt` is built once there are many.
   */
  indexes: TimeIndex<TraceEntry>[];
  indexKeys: number[];
  /** Where each of `indexes` is in it. */
  indexAt: Map<TimeIndex<TraceEntry>, number> | undefined;
}

/** A service's traces, and its operations'. */
interface ServiceEntry {
  readonly index: TimeIndex<TraceEntry>;
  readonly operations: Map<string, OperationEntry>;
}

interface OperationEntry {
  readonly service: ServiceEntry;
  readonly index: TimeIndex<TraceEntry>;
  readonly kinds: Set<SpanKindName>;
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
      const keyUs = index.keys[i]!;
      const trace = index.traces[i]!;
      if (keyUs < lowestKeyUs) break;
      if (trace.evicted) continue;
      if ((byKey && keyUs >= query.startUs) || trace.spans.some((s) => spanMatches(s, query))) {
        found.push(trace);
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
      const operation = this.operationOf(span);
      trace = {
        traceId: span.traceId,
        spans: [span],
        spanIds: undefined,
        startUs: span.startUs,
        endUs: span.startUs + span.durationUs,
        evicted: false,
        takenBy: 0,
        // A new trace is in its first span's two indexes.
        indexes: [operation.service.index, operation.index],
        indexKeys: [span.startUs, span.startUs],
        indexAt: undefined,
      };
      this.traces.set(span.traceId, trace);
      operation.service.index.insert(trace, span.startUs);
      operation.index.insert(trace, span.startUs);
      operation.kinds.add(span.kind);
    } else if (hasSpan(trace, span.spanId)) {
      return;
    } else {
      trace.spans = added(trace.spans, span);
      const operation = this.operationOf(span);
      enterIndex(trace, operation.service.index, span.startUs);
      enterIndex(trace, operation.index, span.startUs);
      operation.kinds.add(span.kind);
    }
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
  }

  /** The span's operation (and through it its service), made on their first span. */
  private operationOf(span: SpanRecord): OperationEntry {
    const name = span.resource.serviceName;
    let service = this.byService.get(name);
    if (!service) {
      service = { index: new TimeIndex<TraceEntry>(name, undefined), operations: new Map() };
      this.byService.set(name, service);
    }
    let operation = service.operations.get(span.name);
    if (!operation) {
      operation = {
        service,
        index: new TimeIndex<TraceEntry>(name, span.name),
        kinds: new Set(),
      };
      service.operations.set(span.name, operation);
    }
    return operation;
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
    for (const index of trace.indexes) {
      index.markDead();
      if (index.live === 0) this.dropIndex(index);
    }
  }

  /** Forgets a service or operation once no stored trace has it. */
  private dropIndex(index: TimeIndex<TraceEntry>): void {
    const service = this.byService.get(index.service);
    if (!service) return;
    if (index.operation === undefined) {
      if (service.index === index) this.byService.delete(index.service);
    } else if (service.operations.get(index.operation)?.index === index) {
      service.operations.delete(index.operation);
    }
  }
}

/**
 * `list` with `item` at its end. Most traces are a few spans in a few indexes: their lists are
 * copied to their exact size, where a push would give each 16 spare slots (about 130 bytes).
 */
function added<T extends object>(list: T[], item: T): T[] {
  if (list.length >= 8) {
    list.push(item);
    return list;
  }
  return list.concat([item]);
}

/** `added` for keys: an array literal of its own, whose numbers are then held unboxed. */
function addedKey(keys: number[], keyUs: number): number[] {
  if (keys.length >= 8) {
    keys.push(keyUs);
    return keys;
  }
  return keys.concat([keyUs]);
}

/** Past this many indexes a trace finds its place in them by a Map. */
const INDEXED_MAP_THRESHOLD = 16;

/** Puts the trace in the time index, or moves it earlier there if this span starts earlier. */
function enterIndex(trace: TraceEntry, index: TimeIndex<TraceEntry>, startUs: number): void {
  const at = trace.indexAt ? (trace.indexAt.get(index) ?? -1) : trace.indexes.indexOf(index);
  if (at < 0) {
    trace.indexAt?.set(index, trace.indexes.length);
    trace.indexes = added(trace.indexes, index);
    trace.indexKeys = addedKey(trace.indexKeys, startUs);
    if (!trace.indexAt && trace.indexes.length > INDEXED_MAP_THRESHOLD) {
      trace.indexAt = new Map(trace.indexes.map((x, i) => [x, i]));
    }
    index.insert(trace, startUs);
  } else if (startUs < trace.indexKeys[at]!) {
    index.move(trace, trace.indexKeys[at]!, startUs);
    trace.indexKeys[at] = startUs;
  }
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
