import { emptySpanFields } from '../model/index.js';
import type { SpanFields, SpanSink, TraceReader } from '../model/index.js';
import { IdTable } from './id-table.js';
import type { AnalysisWarning, Microseconds } from './types.js';

/** Span kinds the analysis tells apart (`span.kind`); any other is OTHER. */
const OTHER = 0;
export const PRODUCER = 1;
export const CONSUMER = 2;
export const CLIENT = 3;

/** A statement's verb: its first word (`SELECT`, `UPDATE`, `HGETALL`). */
const FIRST_WORD = /^\s*([A-Za-z]+)/;

const MESSAGING_NAME = /^(?:send|publish|process|receive) (.+)$/;

function num(v: string | number | boolean): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : NaN;
}

function bool(v: string | number | boolean): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'true') return 1;
  if (v === 'false') return 0;
  return -1;
}

function kindCode(kind: string): number {
  switch (kind) {
    case 'producer':
      return PRODUCER;
    case 'consumer':
      return CONSUMER;
    case 'client':
      return CLIENT;
    default:
      return OTHER;
  }
}

/**
 * One trace as columns: a slot per distinct span (in the order read), one array per field,
 * filled by a TraceReader and reused from trace to trace. Over 100,000 traces, an object (and a
 * map) per span was most of the analysis' cost, in garbage collection; columns of numbers are
 * none. Holds what the analysis reads of each span, taken from its tags in one pass, and the
 * tree: parents, children, roots, and warnings for whatever is odd (duplicate ids, parents not
 * in the trace, cycles, negative durations). Never throws on odd input, never touches it.
 */
export class SpanTable implements SpanSink {
  readonly fields: SpanFields = emptySpanFields();

  traceID = '';
  /** Distinct spans: slots 0 to n − 1. */
  n = 0;
  /** Slots by start, then end (stable): position → slot. */
  order = new Int32Array(64);
  readonly ref: unknown[] = [];
  readonly spanID: string[] = [];
  readonly operation: string[] = [];
  readonly service: string[] = [];
  kind = new Uint8Array(64);
  start = new Float64Array(64);
  /** start + duration (a negative duration counts as 0). */
  end = new Float64Array(64);
  /** `messaging.destination.name`, else the topic in `send <topic>` / `process <topic>`. */
  readonly topic: Array<string | undefined> = [];
  /**
   * Where the message sits in its bus, as the messaging spans say: `messaging.message.id`
   * (a Redis stream entry id, or Kafka's `partition:offset`), `messaging.destination.partition.id`
   * and `messaging.kafka.offset`; undefined where absent.
   */
  readonly messageId: Array<string | undefined> = [];
  readonly partitionId: Array<string | undefined> = [];
  readonly offset: Array<string | number | undefined> = [];
  /** `order.id`, except on client spans (a call about an order does not make it the trace's). */
  readonly orderId: Array<string | undefined> = [];
  /** `workload.operation`: set on workload spans only, which have the figures below. */
  readonly workload: Array<string | undefined> = [];
  readonly workloadType: Array<string | undefined> = [];
  readonly intensity: Array<string | undefined> = [];
  /** resource.* figures; NaN where absent. */
  cpuAvg = new Float64Array(64);
  cpuMax = new Float64Array(64);
  memoryAvgMb = new Float64Array(64);
  memoryMaxMb = new Float64Array(64);
  /** resource.cpu_bound: 1, 0, or −1 where absent. */
  cpuBound = new Int8Array(64);
  /**
   * Database calls, by the OpenTelemetry database conventions (the stable names, else the
   * older ones): `db.system.name`, `db.query.text`, `db.operation.name` (else the query's first
   * word), `db.response.returned_rows` (NaN where absent). Undefined on other spans.
   */
  readonly dbSystem: Array<string | undefined> = [];
  readonly dbStatement: Array<string | undefined> = [];
  readonly dbOperation: Array<string | undefined> = [];
  dbRows = new Float64Array(64);
  /** The parent id the span names, in the trace or not. */
  readonly parentRef: Array<string | undefined> = [];
  /** The parent's slot, −1 for none. */
  parent = new Int32Array(64);
  /** 1 when the span names a parent the trace does not hold. */
  orphan = new Uint8Array(64);
  /** Children of slot i: children[childStart[i] … childStart[i + 1]), latest reach first. */
  childStart = new Int32Array(65);
  children = new Int32Array(64);
  /** When the last of a span's descendants ends (its own end at least). */
  reach = new Float64Array(64);
  /** Spans with no parent in the trace: true roots first, then orphans; by start. */
  roots = new Int32Array(64);
  rootCount = 0;
  /** The same roots, latest reach first. */
  rootsByReach = new Int32Array(64);
  /** Earliest start and latest end over all spans (0 for an empty trace). */
  startUs: Microseconds = 0;
  endUs: Microseconds = 0;
  readonly warnings: AnalysisWarning[] = [];

  private capacity = 64;
  private readonly byId = new IdTable();
  private duplicates: Map<string, number> | undefined;
  private otherTraceIds = 0;
  private scratch = new Int32Array(64);

  /** Reads one trace in, replacing the last. */
  load<T>(reader: TraceReader<T>, trace: T): this {
    this.traceID = reader.traceID(trace);
    this.n = 0;
    this.warnings.length = 0;
    this.byId.reset(this.n);
    this.duplicates = undefined;
    this.otherTraceIds = 0;
    reader.read(trace, this);
    this.finish();
    return this;
  }

  /** The slot of the main root: the earliest true root, else the earliest orphan; −1 if none. */
  get root(): number {
    return this.rootCount > 0 ? this.roots[0]! : -1;
  }

  add(): void {
    const f = this.fields;
    const id = f.spanID;
    if (!this.byId.add(id, this.n)) {
      const d = (this.duplicates ??= new Map());
      d.set(id, (d.get(id) ?? 1) + 1);
      return;
    }
    if (f.traceID !== this.traceID) this.otherTraceIds++;
    const i = this.n++;
    if (i === this.capacity) this.grow();
    this.ref[i] = f.ref;
    this.spanID[i] = id;
    this.operation[i] = f.operationName;
    this.service[i] = f.serviceName;
    this.parentRef[i] = f.parentID;
    const duration = f.durationUs;
    this.start[i] = f.startUs;
    this.end[i] = f.startUs + (duration > 0 ? duration : 0);
    this.readTags(i, f);
    if (duration < 0) {
      this.warnings.push({
        code: 'negative-duration',
        traceID: this.traceID,
        spanID: id,
        message: `span ${id} (${f.operationName}) has a negative duration (${duration} µs); counted as 0`,
      });
    }
  }

  private readTags(i: number, f: SpanFields): void {
    let kind = '';
    let topic: string | undefined;
    let orderId: string | undefined;
    let operation: string | undefined;
    let type: string | undefined;
    let intensity: string | undefined;
    let cpuAvg = NaN;
    let cpuMax = NaN;
    let memoryAvgMb = NaN;
    let memoryMaxMb = NaN;
    let cpuBound = -1;
    let messageId: string | undefined;
    let partitionId: string | undefined;
    let offset: string | number | undefined;
    let dbSystem: string | undefined;
    let dbStatement: string | undefined;
    let dbOperation: string | undefined;
    let dbRows = NaN;
    // By length first: one jump, then at most three comparisons, instead of comparing each
    // tag's key with every name (most keys are none of them).
    for (const t of f.tags) {
      const key = t.key;
      switch (key.length) {
        case 8:
          if (key === 'order.id') orderId = String(t.value);
          break;
        case 9:
          if (key === 'span.kind') kind = String(t.value);
          else if (key === 'db.system') dbSystem ??= String(t.value);
          break;
        case 12:
          if (key === 'db.statement') dbStatement ??= String(t.value);
          else if (key === 'db.operation') dbOperation ??= String(t.value);
          break;
        case 13:
          if (key === 'workload.type') type = String(t.value);
          else if (key === 'db.query.text') dbStatement = String(t.value);
          break;
        case 14:
          if (key === 'db.system.name') dbSystem = String(t.value);
          break;
        case 16:
          if (key === 'resource.cpu.avg') cpuAvg = num(t.value);
          else if (key === 'resource.cpu.max') cpuMax = num(t.value);
          break;
        case 17:
          if (key === 'db.operation.name') dbOperation = String(t.value);
          break;
        case 18:
          if (key === 'workload.operation') operation = String(t.value);
          else if (key === 'workload.intensity') intensity = String(t.value);
          else if (key === 'resource.cpu_bound') cpuBound = bool(t.value);
          break;
        case 20:
          if (key === 'messaging.message.id') messageId = String(t.value);
          break;
        case 22:
          if (key === 'resource.memory.avg_mb') memoryAvgMb = num(t.value);
          else if (key === 'resource.memory.max_mb') memoryMaxMb = num(t.value);
          else if (key === 'messaging.kafka.offset' && typeof t.value !== 'boolean') {
            offset = t.value;
          }
          break;
        case 25:
          if (key === 'db.response.returned_rows') dbRows = num(t.value);
          break;
        case 26:
          if (key === 'messaging.destination.name') topic = String(t.value);
          break;
        case 34:
          if (key === 'messaging.destination.partition.id') partitionId = String(t.value);
          break;
      }
    }
    if (f.kind !== undefined) kind = f.kind;
    const k = kindCode(kind);
    if (topic === undefined && (k === PRODUCER || k === CONSUMER)) {
      topic = MESSAGING_NAME.exec(f.operationName)?.[1];
    }
    this.kind[i] = k;
    this.topic[i] = topic;
    this.messageId[i] = messageId;
    this.partitionId[i] = partitionId;
    this.offset[i] = offset;
    // A client call about an order (GET /order/:id reading its record) does not make the trace
    // that order's: only the order's own spans (its stages) say which order a trace carries.
    this.orderId[i] = k === CLIENT ? undefined : orderId;
    if (k === CLIENT && (dbSystem !== undefined || dbStatement !== undefined)) {
      this.dbSystem[i] = dbSystem ?? 'database';
      this.dbStatement[i] = dbStatement;
      this.dbOperation[i] = (dbOperation ?? FIRST_WORD.exec(dbStatement ?? '')?.[1])?.toUpperCase();
      this.dbRows[i] = dbRows;
    } else {
      this.dbSystem[i] = undefined;
      this.dbStatement[i] = undefined;
      this.dbOperation[i] = undefined;
    }
    this.workload[i] = operation;
    if (operation !== undefined) {
      this.workloadType[i] = type;
      this.intensity[i] = intensity;
      this.cpuAvg[i] = cpuAvg;
      this.cpuMax[i] = cpuMax;
      this.memoryAvgMb[i] = memoryAvgMb;
      this.memoryMaxMb[i] = memoryMaxMb;
      this.cpuBound[i] = cpuBound;
    }
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.start = f64(this.start);
    this.end = f64(this.end);
    this.cpuAvg = f64(this.cpuAvg);
    this.cpuMax = f64(this.cpuMax);
    this.memoryAvgMb = f64(this.memoryAvgMb);
    this.memoryMaxMb = f64(this.memoryMaxMb);
    this.dbRows = f64(this.dbRows);
    const kind = new Uint8Array(cap);
    kind.set(this.kind);
    this.kind = kind;
    const cpuBound = new Int8Array(cap);
    cpuBound.set(this.cpuBound);
    this.cpuBound = cpuBound;
    // The tree's columns are filled after reading: no need to keep their contents.
    this.order = new Int32Array(cap);
    this.parent = new Int32Array(cap);
    this.orphan = new Uint8Array(cap);
    this.childStart = new Int32Array(cap + 1);
    this.children = new Int32Array(cap);
    this.reach = new Float64Array(cap);
    this.roots = new Int32Array(cap);
    this.rootsByReach = new Int32Array(cap);
    this.scratch = new Int32Array(cap);
    this.capacity = cap;
  }

  /** After reading: warnings about the input, order by start, the tree, reach. */
  private finish(): void {
    const traceID = this.traceID;
    const warnings = this.warnings;
    if (this.duplicates) {
      for (const [id, count] of this.duplicates) {
        warnings.push({
          code: 'duplicate-span-id',
          traceID,
          spanID: id,
          message: `span id ${id} appears ${count} times; only the first is used`,
        });
      }
    }
    if (this.otherTraceIds > 0) {
      warnings.push({
        code: 'mixed-trace-ids',
        traceID,
        message: `${this.otherTraceIds} span(s) carry another trace id than ${traceID}`,
      });
    }
    const n = this.n;
    this.rootCount = 0;
    if (n === 0) {
      warnings.push({ code: 'empty-trace', traceID, message: `trace ${traceID} has no spans` });
      this.startUs = 0;
      this.endUs = 0;
      return;
    }
    this.sortByStart();
    this.link();
    this.breakCycles();
    this.buildTree();
    this.computeReach();
  }

  private sortByStart(): void {
    const { order, start, end } = this;
    const n = this.n;
    for (let i = 0; i < n; i++) order[i] = i;
    // Jaeger's JSON lists spans by start already: sort only when they are not.
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = !(later(start, end, i - 1, i) > 0);
    if (sorted) return;
    if (n <= 32) {
      // Insertion sort, stable: a typical trace is small and nearly in order.
      for (let i = 1; i < n; i++) {
        const s = order[i]!;
        let j = i - 1;
        while (j >= 0 && later(start, end, order[j]!, s) > 0) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = s;
      }
    } else {
      const slots = Array.from(order.subarray(0, n)).sort((a, b) => later(start, end, a, b));
      order.set(slots);
    }
  }

  /** Each span's parent slot, or orphan when the trace does not hold the parent it names. */
  private link(): void {
    const { parent, orphan, parentRef, spanID, byId } = this;
    for (let i = 0; i < this.n; i++) {
      parent[i] = -1;
      orphan[i] = 0;
      const pid = parentRef[i];
      if (pid === undefined) continue;
      // A parent is most often a few spans before its child (both by start and as sent): a
      // comparison or two instead of hashing the id. Slots hold distinct ids, so this finds
      // the same span the table would.
      let p = -1;
      for (let j = i - 1; j >= 0 && j >= i - 4; j--) {
        if (spanID[j] === pid) {
          p = j;
          break;
        }
      }
      if (p < 0) p = byId.get(pid);
      if (p >= 0 && p !== i) parent[i] = p;
      else orphan[i] = 1;
    }
  }

  /** A parent chain that loops (a → b → a) would make every walk endless: cut it, and say so. */
  private breakCycles(): void {
    const { parent, order } = this;
    const n = this.n;
    // Depth-bounded walk up from each span: a chain longer than the trace has spans loops.
    // Most traces are a handful of levels deep, so this is cheap.
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      let s = parent[i]!;
      let steps = 0;
      while (s >= 0 && s !== i && steps <= n) {
        s = parent[s]!;
        steps++;
      }
      if (s === i) {
        const id = this.spanID[i]!;
        this.warnings.push({
          code: 'reference-cycle',
          traceID: this.traceID,
          spanID: id,
          message: `span ${id} is its own ancestor; its parent reference is ignored`,
        });
        parent[i] = -1;
      }
    }
  }

  /** Children (by start), roots (true roots, then orphans), the trace's extent. */
  private buildTree(): void {
    const { parent, order, childStart, children, roots, orphan, start, end } = this;
    const n = this.n;
    childStart.fill(0, 0, n + 1);
    for (let i = 0; i < n; i++) {
      const p = parent[i]!;
      if (p >= 0) childStart[p + 1]!++;
    }
    for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
    const next = this.scratch;
    for (let i = 0; i < n; i++) next[i] = childStart[i]!;
    let rootCount = 0;
    let orphans = 0;
    let startUs = Infinity;
    let endUs = -Infinity;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const p = parent[i]!;
      if (p >= 0) children[next[p]!++] = i;
      else {
        roots[rootCount++] = i;
        orphans += orphan[i]!;
      }
      if (start[i]! < startUs) startUs = start[i]!;
      if (end[i]! > endUs) endUs = end[i]!;
    }
    this.rootCount = rootCount;
    this.startUs = startUs;
    this.endUs = endUs;
    if (orphans > 0 && rootCount > 1) {
      // True roots (no reference at all) before orphans, each group by start.
      let w = 0;
      const orphanRoots = this.scratch;
      let o = 0;
      for (let r = 0; r < rootCount; r++) {
        const i = roots[r]!;
        if (orphan[i]) orphanRoots[o++] = i;
        else roots[w++] = i;
      }
      for (let r = 0; r < o; r++) roots[w + r] = orphanRoots[r]!;
    }
    const traceID = this.traceID;
    for (let r = rootCount - orphans; r < rootCount; r++) {
      const i = roots[r]!;
      this.warnings.push({
        code: 'missing-parent',
        traceID,
        spanID: this.spanID[i]!,
        message: `span ${this.spanID[i]!} (${this.service[i]!} ${this.operation[i]!}) has parent ${this.parentRef[i]!}, which is not in the trace`,
      });
    }
    if (orphans === rootCount) {
      this.warnings.push({
        code: 'no-root',
        traceID,
        message: `trace ${traceID} has no root span (partial trace); the earliest orphan is used as root`,
      });
    } else if (rootCount - orphans > 1) {
      this.warnings.push({
        code: 'several-roots',
        traceID,
        message: `trace ${traceID} has ${rootCount - orphans} spans without a parent; the earliest is the root`,
      });
    }
  }

  /** Reach of every span, children then parents; then children and roots by reach. */
  private computeReach(): void {
    const { childStart, children, reach, end, roots, rootsByReach } = this;
    const queue = this.scratch;
    let length = 0;
    for (let r = 0; r < this.rootCount; r++) queue[length++] = roots[r]!;
    for (let h = 0; h < length; h++) {
      const i = queue[h]!;
      for (let c = childStart[i]!; c < childStart[i + 1]!; c++) queue[length++] = children[c]!;
    }
    for (let h = length - 1; h >= 0; h--) {
      const i = queue[h]!;
      let r = end[i]!;
      for (let c = childStart[i]!; c < childStart[i + 1]!; c++) {
        const cr = reach[children[c]!]!;
        if (cr > r) r = cr;
      }
      reach[i] = r;
    }
    for (let i = 0; i < this.n; i++) {
      if (childStart[i + 1]! - childStart[i]! > 1)
        byReach(children, childStart[i]!, childStart[i + 1]!, reach);
    }
    for (let r = 0; r < this.rootCount; r++) rootsByReach[r] = roots[r]!;
    byReach(rootsByReach, 0, this.rootCount, reach);
  }
}

/** Which of slots a and b starts later (then ends later): > 0 for a, < 0 for b, else 0. */
function later(start: Float64Array, end: Float64Array, a: number, b: number): number {
  return start[a]! - start[b]! || end[a]! - end[b]!;
}

/** Sorts slots from..to of list by reach, latest first; stable (equal reaches keep their order). */
function byReach(list: Int32Array, from: number, to: number, reach: Float64Array): void {
  // Insertion sort: a span has a handful of children.
  for (let i = from + 1; i < to; i++) {
    const s = list[i]!;
    const r = reach[s]!;
    let j = i - 1;
    while (j >= from && reach[list[j]!]! < r) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = s;
  }
}
