import type { LockWait, StatementStats } from './report-types.js';
import { percentile } from './stats.js';

/** How much longer than alone an overlapping execution must take to count as waiting. */
const STRETCH_RATIO = 5;
const STRETCH_MIN_US = 2000;
/** Stretched executions from which a statement's waits are named. */
const MIN_STRETCHED = 3;

/** The median of the values (sorted in place). */
export const median = (values: number[]) =>
  percentile(
    values.sort((a, b) => a - b),
    50,
  );
const p50 = median;

/**
 * Lock waits of one row-locking statement, from the start and end of each of its executions:
 * the executions that overlap another one of it (across traces: other transactions) and take
 * far longer than it takes alone. A blocked UPDATE waits for the row lock until the
 * transaction holding it ends, so its span stretches while the next ones queue behind it,
 * overlapping. A stall of the caller or the machine (a burst of requests at once, a cold start)
 * stretches every statement in flight alike: so each execution's time is taken over the median
 * time of the other statements of its transaction (its parent's: `neighbours`, NaN for none),
 * and compared with that ratio alone. Undefined when fewer than MIN_STRETCHED stretched.
 */
export function lockWaitOf(
  s: StatementStats,
  starts: readonly number[],
  ends: readonly number[],
  neighbours: readonly number[],
): LockWait | undefined {
  const n = starts.length;
  if (n < MIN_STRETCHED) return undefined;
  const byStart = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => starts[a]! - starts[b]! || ends[a]! - ends[b]!,
  );
  // Runs of executions each starting before the run's latest end so far: overlapping ones.
  const overlapping = new Uint8Array(n);
  let runStart = 0;
  let runEnd = -Infinity;
  const closeRun = (to: number) => {
    if (to - runStart >= 2) for (let k = runStart; k < to; k++) overlapping[byStart[k]!] = 1;
  };
  for (let k = 0; k < n; k++) {
    const i = byStart[k]!;
    if (starts[i]! >= runEnd) {
      closeRun(k);
      runStart = k;
      runEnd = ends[i]!;
    } else if (ends[i]! > runEnd) runEnd = ends[i]!;
  }
  closeRun(n);

  const duration = (i: number) => ends[i]! - starts[i]!;
  // Its time over its neighbours' (NaN when it has none): what a stall leaves alike.
  const relative = (i: number) => (neighbours[i]! > 0 ? duration(i) / neighbours[i]! : NaN);
  const alone: number[] = [];
  const aloneRelative: number[] = [];
  let fastest = Infinity;
  let fastestRelative = Infinity;
  for (let i = 0; i < n; i++) {
    const r = relative(i);
    if (!overlapping[i]) {
      alone.push(duration(i));
      if (r === r) aloneRelative.push(r);
    }
    fastest = Math.min(fastest, duration(i));
    if (r === r) fastestRelative = Math.min(fastestRelative, r);
  }
  const aloneP50Us = alone.length ? p50(alone) : fastest;
  const usualRelative = aloneRelative.length ? p50(aloneRelative) : fastestRelative;
  const stretched: number[] = [];
  let overlappingCount = 0;
  for (let i = 0; i < n; i++) {
    if (!overlapping[i]) continue;
    overlappingCount++;
    const d = duration(i);
    const r = relative(i);
    // Against its neighbours where both it and the usual have them, else its time alone.
    const far =
      r === r && usualRelative !== Infinity
        ? r >= STRETCH_RATIO * usualRelative
        : d >= STRETCH_RATIO * aloneP50Us;
    if (far && d - aloneP50Us >= STRETCH_MIN_US) stretched.push(d);
  }
  if (stretched.length < MIN_STRETCHED) return undefined;
  const totalWaitUs = stretched.reduce((sum, d) => sum + d - aloneP50Us, 0);
  return {
    service: s.service,
    system: s.system,
    operation: s.operation,
    statement: s.statement,
    executions: n,
    overlapping: overlappingCount,
    stretched: stretched.length,
    aloneP50Us,
    stretchedP50Us: p50(stretched),
    totalWaitUs,
    maxInFlight: maxInFlight(starts, ends),
    slowest: s.slowest,
  };
}

/** Most intervals open at once (an end at the same time as a start closes first). */
function maxInFlight(starts: readonly number[], ends: readonly number[]): number {
  const s = [...starts].sort((a, b) => a - b);
  const e = [...ends].sort((a, b) => a - b);
  let open = 0;
  let most = 0;
  for (let i = 0, j = 0; i < s.length;) {
    if (j < e.length && e[j]! <= s[i]!) {
      open--;
      j++;
    } else {
      open++;
      i++;
      most = Math.max(most, open);
    }
  }
  return most;
}
