import { formatDuration, formatPercent } from './format.js';
import type { ChangeRow, ChangeTone, Microseconds, RowVerdict } from './types.js';

/** Changes smaller than either of these are noise between two runs, not an effect. */
const SAME_PCT = 5;
const SAME_US = 500;
/**
 * Below this base a relative figure says more about the clock than the change: a queue wait of
 * 1 ms growing to 11 s is "+812175 %", which nobody reads. Such changes show the absolute change
 * only.
 */
const RELATIVE_FLOOR_US = 1000;
/** From this ratio up a growth reads as "×1,250" rather than a percentage. */
const RATIO_FROM = 10;

/** (b − a) / a in %, rounded to 0.1; null when there is no base to compare with. */
export function percentChange(a: number, b: number): number | null {
  if (a === 0) return null;
  return Math.round(((b - a) / a) * 1000) / 10;
}

/** Faster, slower or the same (within SAME_US or SAME_PCT), or only on one side. */
export function verdictOf(a: number | null, b: number | null): RowVerdict {
  if (a === null) return 'only in B';
  if (b === null) return 'only in A';
  const d = b - a;
  const p = percentChange(a, b);
  if (Math.abs(d) < SAME_US || (p !== null && Math.abs(p) < SAME_PCT)) return 'same';
  return d < 0 ? 'faster' : 'slower';
}

/**
 * The change from a to b relative to a, as a reader takes it in: "+35 %" or "−21.8 %"; "×1,250"
 * once b is RATIO_FROM times a or more; null below RELATIVE_FLOOR_US of base (the absolute
 * change says it then).
 */
export function formatRelative(a: Microseconds, b: Microseconds): string | null {
  if (a < RELATIVE_FLOOR_US) return null;
  const ratio = b / a;
  if (ratio >= RATIO_FROM) return `×${Math.round(ratio).toLocaleString('en-US')}`;
  return formatPercent(percentChange(a, b));
}

/** "+11 s (×1,250)", "−1.2 s (−35 %)", "+11 s" (base under the floor), "±0 ms". */
export function formatChange(a: Microseconds, b: Microseconds): string {
  const d = b - a;
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const rel = d === 0 ? null : formatRelative(a, b);
  return `${sign}${formatDuration(Math.abs(d))}${rel ? ` (${rel})` : ''}`;
}

/** One row before it is judged: where, both sides' time and both sides' time on the critical path. */
export type ChangeInput = Pick<
  ChangeRow,
  'kind' | 'service' | 'operation' | 'topic' | 'aUs' | 'bUs' | 'pathAUs' | 'pathBUs' | 'viaChildren'
>;

/**
 * Red for a change that made the critical path longer; green only where the stage's time on the
 * critical path fell (a stage off the path that got faster changed nothing a user waits for);
 * grey for the rest.
 */
function toneOf(r: ChangeInput, verdict: RowVerdict): ChangeTone {
  if (verdict === 'only in A' || verdict === 'only in B') return 'only';
  const path = verdictOf(r.pathAUs, r.pathBUs);
  if (verdict === 'slower' && path === 'slower') return 'worse';
  if (verdict === 'faster' && path === 'faster') return 'better';
  return 'neutral';
}

/** Judges each row and orders them: the largest change on the critical path first. */
export function rankChanges(rows: readonly ChangeInput[]): ChangeRow[] {
  const out: ChangeRow[] = rows.map((r) => {
    const both = r.aUs !== null && r.bUs !== null;
    const verdict = verdictOf(r.aUs, r.bUs);
    return {
      ...r,
      deltaUs: both ? r.bUs - r.aUs : null,
      deltaPct: both ? percentChange(r.aUs, r.bUs) : null,
      change: both ? formatChange(r.aUs, r.bUs) : verdict,
      pathDeltaUs: r.pathBUs - r.pathAUs,
      onPath: r.pathAUs > 0 || r.pathBUs > 0,
      verdict,
      tone: toneOf(r, verdict),
    };
  });
  return out.sort(
    (x, y) =>
      Math.abs(y.pathDeltaUs) - Math.abs(x.pathDeltaUs) ||
      Math.abs(y.deltaUs ?? 0) - Math.abs(x.deltaUs ?? 0),
  );
}
