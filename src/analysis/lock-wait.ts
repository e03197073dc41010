import type { LockWait, StatementStats } from './report-types.js';
import { percentile } from './stats.js';

/**
 * How far apart, at most, a waiting execution's end and the end of the transaction that let it
 * go may be read: the waiter's reply and the holder's COMMIT reply arrive together, and are read
 * in either order, a stalled event loop between them (or 5 % of the waiter's time, if more).
 */
const RELEASE_NEAR_US = 3000;
const RELEASE_NEAR_SHARE = 0.05;
/** Shorter waits are not worth a finding. */
const WAIT_MIN_US = 2000;
/** Releases closer than this are one moment: a stall that ended everything in flight at once. */
const SAME_MOMENT_US = 1000;
/**
 * Waits let go by a transaction that had waited itself, each at its own moment, from which a
 * statement's waits are named: a queue at least three deep. Two transactions in step (one a
 * statement or two behind the other) can end together by chance on a busy machine; three in a
 * row, again and again, do not.
 */
const MIN_QUEUED = 3;

/** The median of the values (sorted in place). */
const p50 = (values: number[]) =>
  percentile(
    values.sort((a, b) => a - b),
    50,
  );

/** One execution of the statement and the transaction it ran in. */
export interface LockingCall {
  readonly startUs: number;
  readonly endUs: number;
  /** Which transaction (any number that tells them apart). */
  readonly tx: number;
  /** When that transaction's last statement on the same database ended: its COMMIT. */
  readonly txEndUs: number;
}

/**
 * Lock waits of one row-locking statement. A blocked UPDATE waits for the row lock until the
 * transaction holding it ends; then it runs at once. So each waiting execution ends as another
 * transaction that ran the statement before it ends, one transaction after another: a queue.
 * That is what is looked for, not a duration: a busy machine stretches every statement in
 * flight (no statement "alone" is then a fair yardstick), and a stall ends everything in flight
 * at the same moment, where a queue lets its waiters go one at a time. Undefined when fewer
 * than MIN_QUEUED waits were let go by a transaction that had waited, each at its own moment.
 */
export function lockWaitOf(s: StatementStats, calls: readonly LockingCall[]): LockWait | undefined {
  const n = calls.length;
  if (n < MIN_QUEUED + 2) return undefined;

  // Each transaction that ran it: its end, and when its first execution of it ended (from
  // then on it held the row).
  const held = new Map<number, { endUs: number; lockedUs: number }>();
  for (const c of calls) {
    const h = held.get(c.tx);
    if (h === undefined) held.set(c.tx, { endUs: c.txEndUs, lockedUs: c.endUs });
    else h.lockedUs = Math.min(h.lockedUs, c.endUs);
  }
  const holders = [...held].sort((a, b) => a[1].endUs - b[1].endUs);
  const holderEnds = holders.map(([, h]) => h.endUs);

  /** The transaction that let execution c go after a wait worth naming, if one did. */
  const releaseOf = (c: LockingCall): { tx: number; endUs: number } | undefined => {
    const near = Math.max(RELEASE_NEAR_US, RELEASE_NEAR_SHARE * (c.endUs - c.startUs));
    let best: { tx: number; endUs: number } | undefined;
    for (let k = firstAtOrAfter(holderEnds, c.endUs - near); k < holders.length; k++) {
      const [tx, h] = holders[k]!;
      if (h.endUs > c.endUs + near) break;
      // Another transaction, holding the row before this one ended, and ending while it waited.
      if (tx === c.tx || h.lockedUs >= c.endUs) continue;
      if (Math.min(h.endUs, c.endUs) - c.startUs < WAIT_MIN_US) continue;
      if (best === undefined || Math.abs(h.endUs - c.endUs) < Math.abs(best.endUs - c.endUs)) {
        best = { tx, endUs: h.endUs };
      }
    }
    return best;
  };
  const releases = calls.map(releaseOf);

  const waitedTx = new Set<number>();
  for (let i = 0; i < n; i++) if (releases[i]) waitedTx.add(calls[i]!.tx);
  const waited: number[] = [];
  const durations: number[] = [];
  const afterRelease: number[] = [];
  const queued: number[] = [];
  calls.forEach((c, i) => {
    const r = releases[i];
    if (r === undefined) return;
    waited.push(Math.min(r.endUs, c.endUs) - c.startUs);
    durations.push(c.endUs - c.startUs);
    afterRelease.push(Math.max(0, c.endUs - r.endUs));
    if (waitedTx.has(r.tx)) queued.push(r.endUs);
  });
  if (distinctMoments(queued) < MIN_QUEUED) return undefined;

  const starts = calls.map((c) => c.startUs);
  const ends = calls.map((c) => c.endUs);
  const overlapping = overlappingOnes(starts, ends);
  // Its time when nothing held it up: the executions that neither waited nor overlapped
  // another (the first of a burst is slowed by the burst), else what the waiters took once let go.
  const alone = calls
    .filter((_, i) => !overlapping[i] && !releases[i])
    .map((c) => c.endUs - c.startUs);
  const aloneP50Us = alone.length ? p50(alone) : p50(afterRelease);
  return {
    service: s.service,
    system: s.system,
    operation: s.operation,
    statement: s.statement,
    executions: n,
    overlapping: overlapping.reduce((sum, o) => sum + o, 0),
    stretched: waited.length,
    aloneP50Us,
    stretchedP50Us: p50(durations),
    totalWaitUs: waited.reduce((sum, w) => sum + w, 0),
    maxInFlight: maxInFlight(starts, ends),
    slowest: s.slowest,
  };
}

/** Index of the first value ≥ x in ascending values. */
function firstAtOrAfter(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Times more than SAME_MOMENT_US from the one before them (sorted in place). */
function distinctMoments(times: number[]): number {
  times.sort((a, b) => a - b);
  let count = 0;
  let last = -Infinity;
  for (const t of times) {
    if (t - last > SAME_MOMENT_US) count++;
    last = t;
  }
  return count;
}

/** Which executions overlap another one (an end at the same time as a start does not). */
function overlappingOnes(starts: readonly number[], ends: readonly number[]): Uint8Array {
  const n = starts.length;
  const byStart = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => starts[a]! - starts[b]! || ends[a]! - ends[b]!,
  );
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
  return overlapping;
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
