import { emptySpanFields } from '../model/index.js';
import type { SpanFields, SpanSink, TraceReader } from '../model/index.js';

/** Traces linked to each other (an order's traces in link mode), read as one. */
export interface StitchedTrace<T> {
  /** The first part's id: the chain's first trace, by start. */
  readonly traceID: string;
  /** The linked traces, by their first span's start; one for a trace with no links. */
  readonly parts: readonly T[];
}

/**
 * Groups traces that link to each other (a root span with a link to a span of another trace
 * in the set) into chains, so the analysis reads each chain as one trace: in link mode each
 * consumer starts a new trace, and without this an order's queue waits, critical path and
 * bottleneck would be cut at every hop. Chains keep the order of their first trace in the
 * input; a link to a trace not in the set is ignored. Pure.
 */
export function stitchLinkedTraces<T>(
  traces: readonly T[],
  reader: TraceReader<T>,
): StitchedTrace<T>[] {
  const indexOf = new Map<string, number>();
  traces.forEach((t, i) => {
    const id = reader.traceID(t);
    if (!indexOf.has(id)) indexOf.set(id, i);
  });
  const leader = traces.map((_, i) => i);
  const find = (i: number): number => {
    while (leader[i] !== i) i = leader[i] = leader[leader[i]!]!;
    return i;
  };
  const startOf = traces.map((t, i) => {
    const { firstStartUs, linked } = scanLinks(reader, t);
    for (const id of linked) {
      const j = indexOf.get(id);
      if (j === undefined) continue;
      const [a, b] = [find(i), find(j)];
      // The lower index leads: chains keep the order of their first trace.
      if (a !== b) leader[Math.max(a, b)] = Math.min(a, b);
    }
    return firstStartUs;
  });
  const chains = new Map<number, number[]>();
  traces.forEach((_, i) => {
    const lead = find(i);
    const chain = chains.get(lead);
    if (chain) chain.push(i);
    else chains.set(lead, [i]);
  });
  return [...chains.values()].map((members) => {
    members.sort((a, b) => startOf[a]! - startOf[b]! || a - b);
    const parts = members.map((i) => traces[i]!);
    return { traceID: reader.traceID(parts[0]!), parts };
  });
}

/** A trace's earliest span start and the other traces its root spans link to. */
function scanLinks<T>(
  reader: TraceReader<T>,
  trace: T,
): { firstStartUs: number; linked: string[] } {
  const own = reader.traceID(trace);
  const linked: string[] = [];
  let firstStartUs = Infinity;
  const sink = collectingSink((f) => {
    if (f.startUs < firstStartUs) firstStartUs = f.startUs;
    const to = f.linkTraceID;
    if (f.parentID === undefined && to !== undefined && to !== own && !linked.includes(to)) {
      linked.push(to);
    }
  });
  reader.read(trace, sink);
  return { firstStartUs, linked };
}

function collectingSink(take: (f: SpanFields) => void): SpanSink {
  const fields: SpanFields = emptySpanFields();
  return { fields, add: () => take(fields) };
}

/** A span read from one part of a chain: what `instance` needs to find its process. */
interface PartRef<T> {
  readonly part: T;
  readonly ref: unknown;
}

/**
 * Reads a chain as one trace: every part's spans under the chain's id, a part's root that
 * links to a span of another part hung under that span (as if it were its child, which it is
 * in child mode). A chain of one is read as its trace, untouched.
 */
export function stitchedReader<T>(reader: TraceReader<T>): TraceReader<StitchedTrace<T>> {
  return {
    traceID: (chain) => chain.traceID,

    read(chain, sink) {
      if (chain.parts.length === 1) {
        reader.read(chain.parts[0]!, sink);
        return;
      }
      const partIds = new Set(chain.parts.map((p) => reader.traceID(p)));
      const f = sink.fields;
      for (const part of chain.parts) {
        reader.read(part, {
          fields: f,
          add() {
            if (f.parentID === undefined && f.linkTraceID !== undefined) {
              if (partIds.has(f.linkTraceID)) f.parentID = f.linkSpanID;
            }
            f.traceID = chain.traceID;
            f.ref = { part, ref: f.ref } satisfies PartRef<T>;
            sink.add();
          },
        });
      }
    },

    instance(chain, ref) {
      if (chain.parts.length === 1) return reader.instance(chain.parts[0]!, ref);
      const r = ref as PartRef<T>;
      return reader.instance(r.part, r.ref);
    },
  };
}
