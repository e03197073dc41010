import type { JaegerSpan, JaegerTag, JaegerTrace } from '../../model/index.js';

/** One span placed in its trace: its parent, children, depth and service. */
export interface SpanNode {
  readonly span: JaegerSpan;
  readonly id: string;
  readonly service: string;
  readonly startUs: number;
  readonly endUs: number;
  readonly error: boolean;
  parent: SpanNode | undefined;
  readonly children: SpanNode[];
  depth: number;
}

/** A trace as the views draw it. Odd input (orphans, duplicate ids) gives warnings. */
export interface TraceModel {
  readonly traceID: string;
  readonly trace: JaegerTrace;
  readonly roots: readonly SpanNode[];
  /** Every span in tree order (parent before children, siblings by start time). */
  readonly ordered: readonly SpanNode[];
  readonly byId: ReadonlyMap<string, SpanNode>;
  readonly startUs: number;
  readonly endUs: number;
  readonly durationUs: number;
  /** Services in the order their first span starts. */
  readonly services: readonly string[];
  readonly depth: number;
  readonly errorCount: number;
  readonly warnings: readonly string[];
}

export function tagValue(
  tags: readonly JaegerTag[],
  key: string,
): string | number | boolean | undefined {
  for (const t of tags) if (t.key === key) return t.value;
  return undefined;
}

export function isErrorSpan(span: JaegerSpan): boolean {
  return (
    tagValue(span.tags, 'error') === true || tagValue(span.tags, 'otel.status_code') === 'ERROR'
  );
}

/** Builds the span tree of a trace. Pure: the input is not touched. */
export function buildTraceModel(trace: JaegerTrace): TraceModel {
  const warnings: string[] = [...(trace.warnings ?? [])];
  const byId = new Map<string, SpanNode>();
  for (const span of trace.spans) {
    if (byId.has(span.spanID)) {
      warnings.push(`span ${span.spanID} appears twice; the first is shown`);
      continue;
    }
    byId.set(span.spanID, {
      span,
      id: span.spanID,
      service: trace.processes[span.processID]?.serviceName ?? span.processID,
      startUs: span.startTime,
      endUs: span.startTime + span.duration,
      error: isErrorSpan(span),
      parent: undefined,
      children: [],
      depth: 0,
    });
  }
  const roots: SpanNode[] = [];
  for (const node of byId.values()) {
    // A link to another trace (a consumer's root in link mode) is not a parent here: the
    // trace page lists linked traces apart, and the chain view has CHILD_OF for it.
    const ref =
      node.span.references.find((r) => r.refType === 'CHILD_OF') ??
      node.span.references.find((r) => r.traceID === node.span.traceID);
    const parent = ref && ref.spanID !== node.id ? byId.get(ref.spanID) : undefined;
    if (ref && !parent)
      warnings.push(
        `span ${node.id} (${node.span.operationName}): parent ${ref.spanID} is missing`,
      );
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
    } else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.startUs - b.startUs || a.endUs - b.endUs;
  roots.sort(byStart);

  // Iterative walk: a 5,000-span chain must not overflow the stack. A parent cycle leaves its
  // spans unreached; they are shown as roots with a warning.
  const ordered: SpanNode[] = [];
  const seen = new Set<SpanNode>();
  const walk = (root: SpanNode) => {
    const stack: SpanNode[] = [root];
    root.depth = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      ordered.push(node);
      node.children.sort(byStart);
      for (let i = node.children.length - 1; i >= 0; i--) {
        const child = node.children[i]!;
        child.depth = node.depth + 1;
        stack.push(child);
      }
    }
  };
  for (const root of roots) walk(root);
  for (const node of byId.values()) {
    if (seen.has(node)) continue;
    warnings.push(`span ${node.id} is in a parent cycle`);
    node.parent = undefined;
    roots.push(node);
    walk(node);
  }

  let startUs = Infinity;
  let endUs = -Infinity;
  let depth = 0;
  let errorCount = 0;
  const firstStart = new Map<string, number>();
  for (const node of ordered) {
    startUs = Math.min(startUs, node.startUs);
    endUs = Math.max(endUs, node.endUs);
    depth = Math.max(depth, node.depth + 1);
    if (node.error) errorCount++;
    const first = firstStart.get(node.service);
    if (first === undefined || node.startUs < first) firstStart.set(node.service, node.startUs);
  }
  if (ordered.length === 0) startUs = endUs = 0;
  const services = [...firstStart.entries()].sort((a, b) => a[1] - b[1]).map(([s]) => s);
  return {
    traceID: trace.traceID,
    trace,
    roots,
    ordered,
    byId,
    startUs,
    endUs,
    durationUs: endUs - startUs,
    services,
    depth,
    errorCount,
    warnings,
  };
}

/** The rows a waterfall shows: tree order, without the descendants of collapsed spans. */
export function visibleRows(model: TraceModel, collapsed: ReadonlySet<string>): SpanNode[] {
  if (collapsed.size === 0) return model.ordered as SpanNode[];
  const rows: SpanNode[] = [];
  let hideBelow = -1;
  for (const node of model.ordered) {
    if (hideBelow >= 0 && node.depth > hideBelow) continue;
    hideBelow = -1;
    rows.push(node);
    if (collapsed.has(node.id) && node.children.length > 0) hideBelow = node.depth;
  }
  return rows;
}

/** What a search result line says about a trace. */
export interface TraceSummary {
  readonly traceID: string;
  readonly rootName: string;
  readonly startUs: number;
  readonly durationUs: number;
  readonly spanCount: number;
  readonly errorCount: number;
  /** Services with their span counts, in the order they start. */
  readonly services: readonly {
    readonly name: string;
    readonly spans: number;
    readonly errors: number;
  }[];
}

export function summarizeTrace(trace: JaegerTrace): TraceSummary {
  const model = buildTraceModel(trace);
  const root = model.roots[0];
  const counts = new Map<string, { spans: number; errors: number }>();
  for (const s of model.services) counts.set(s, { spans: 0, errors: 0 });
  for (const node of model.ordered) {
    const c = counts.get(node.service)!;
    c.spans++;
    if (node.error) c.errors++;
  }
  return {
    traceID: trace.traceID,
    rootName: root ? `${root.service}: ${root.span.operationName}` : '(no spans)',
    startUs: model.startUs,
    durationUs: model.durationUs,
    spanCount: model.ordered.length,
    errorCount: model.errorCount,
    services: [...counts.entries()].map(([name, c]) => ({ name, ...c })),
  };
}
