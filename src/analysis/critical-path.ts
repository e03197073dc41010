import type { JaegerTrace } from '../model/index.js';
import { jaegerTraceReader } from './jaeger-reader.js';
import { PathRecorder } from './path-recorder.js';
import { withWarnings } from './queue-wait.js';
import { CONSUMER, SpanTable } from './span-table.js';
import type { AnalysisWarning, CriticalPathSegment, Microseconds, WithWarnings } from './types.js';

/**
 * s's own stretch from `from` to `to`. Past a producer's end, the next thing on the path is its
 * message waiting in the queue. Any other child starting after its parent ended is put down to
 * the parent (OpenTelemetry JS stamps span starts to the millisecond, so such gaps are usually
 * that rounding).
 */
function self(
  t: SpanTable,
  path: PathRecorder,
  s: number,
  from: Microseconds,
  to: Microseconds,
  next: number,
): void {
  if (to <= from) return;
  const ownEnd = Math.min(to, Math.max(from, t.end[s]!));
  if (to > ownEnd && next >= 0 && t.kind[next] === CONSUMER) {
    path.queue(next, ownEnd, to);
    if (ownEnd > from) path.span(s, from, ownEnd);
  } else {
    path.span(s, from, to);
  }
}

/**
 * The walk down from s over [from, to): at each point the child that finished last (children
 * are by reach, latest first), its own stretches put down to s. A loop over a stack of frames
 * in typed arrays rather than recursion: a recursive call passes its times as numbers in boxes,
 * a garbage object each, millions over 100,000 traces.
 */
function walk(t: SpanTable, path: PathRecorder, root: number, from: number, to: number): void {
  const { span, start: fromOf, cursor: cursorOf, next: nextOf, child } = path.frames(t.n);
  span[0] = root;
  fromOf[0] = from;
  cursorOf[0] = to;
  nextOf[0] = -1;
  child[0] = t.childStart[root]!;
  let depth = 1;
  while (depth > 0) {
    const top = depth - 1;
    const s = span[top]!;
    const sFrom = fromOf[top]!;
    const cursor = cursorOf[top]!;
    let c = child[top]!;
    const last = t.childStart[s + 1]!;
    let descended = false;
    while (c < last) {
      if (cursor <= sFrom) break;
      const k = t.children[c++]!;
      if (t.start[k]! >= cursor) continue; // hidden behind a later child already on the path
      const kEnd = Math.min(t.reach[k]!, cursor);
      const kStart = Math.max(t.start[k]!, sFrom);
      if (kEnd <= kStart) continue;
      if (kEnd < cursor) self(t, path, s, kEnd, cursor, nextOf[top]!);
      child[top] = c;
      span[depth] = k;
      fromOf[depth] = kStart;
      cursorOf[depth] = kEnd;
      nextOf[depth] = -1;
      child[depth] = t.childStart[k]!;
      depth++;
      descended = true;
      break;
    }
    if (descended) continue;
    if (cursor > sFrom) self(t, path, s, sFrom, cursor, nextOf[top]!);
    depth--;
    if (depth > 0) {
      // Back in the parent: this child was on the path down to its start.
      nextOf[depth - 1] = s;
      cursorOf[depth - 1] = sFrom;
    }
  }
}

/**
 * The critical path: the chain of work that decided when the trace ended, told to `sink` from
 * the end backwards. Jaeger UI's algorithm walks back from the end, taking at each point the
 * child that finished last; but it clips children to their parent's end, so it stops at the
 * first PRODUCER span, whose consumer runs long after it ended. Here a span reaches as far as
 * its last descendant ends, so the walk follows each order through its queues: the time between
 * a producer's end and its consumer's start is a `queue` stretch.
 */
export function walkCriticalPath(
  t: SpanTable,
  warnings: AnalysisWarning[],
  path: PathRecorder,
): void {
  const root = t.root;
  if (root < 0) return;
  // Orphans (parent not in the trace) hang under no span: walk them after the root, the way a
  // virtual parent of all roots would, and say where nothing on record was running.
  const from = t.start[root]!;
  let cursor = t.endUs;
  for (let r = 0; r < t.rootCount; r++) {
    if (cursor <= from) break;
    const s = t.rootsByReach[r]!;
    if (t.start[s]! >= cursor) continue;
    const sEnd = Math.min(t.reach[s]!, cursor);
    const sStart = Math.max(t.start[s]!, from);
    if (sEnd <= sStart) continue;
    if (sEnd < cursor) gap(t, warnings, sEnd, cursor);
    walk(t, path, s, sStart, sEnd);
    cursor = sStart;
  }
  if (cursor > from) gap(t, warnings, from, cursor);
}

function gap(t: SpanTable, warnings: AnalysisWarning[], a: Microseconds, b: Microseconds) {
  warnings.push({
    code: 'critical-path-gap',
    traceID: t.traceID,
    message: `no span on record covers ${b - a} µs of the critical path (partial trace)`,
  });
}

/**
 * The critical path from the root's start to the trace's last end, across messaging hops, in
 * time order. Partial traces give warnings (and, where no span covers a stretch, a gap).
 */
export function criticalPath(trace: JaegerTrace): WithWarnings<CriticalPathSegment> {
  const t = new SpanTable().load(jaegerTraceReader, trace);
  const warnings = [...t.warnings];
  const path = new PathRecorder(t);
  walkCriticalPath(t, warnings, path);
  return withWarnings(path.segments(), warnings);
}
