import type { Microseconds } from './types.js';

/** Count and spread of a set of durations. Percentiles are nearest-rank: always a real value. */
export interface Distribution {
  readonly count: number;
  readonly minUs: Microseconds;
  readonly p50Us: Microseconds;
  readonly p90Us: Microseconds;
  readonly p99Us: Microseconds;
  readonly maxUs: Microseconds;
  readonly meanUs: Microseconds;
}

const EMPTY: Distribution = {
  count: 0,
  minUs: 0,
  p50Us: 0,
  p90Us: 0,
  p99Us: 0,
  maxUs: 0,
  meanUs: 0,
};

/** The value at percentile p (0–100) of an ascending array, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Summarises `values`; a Float64Array is reordered, a plain array left as it is. Percentiles of
 * whole numbers are picked by selection (linear time), which over the millions of durations of
 * 100,000 traces costs a fraction of sorting them; the sum of whole numbers is exact in any
 * order, so the mean is the same too. Anything else (fractions, NaN, sums past 2^53) is
 * sorted, as it always was.
 */
export function summarise(values: number[] | Float64Array): Distribution {
  const n = values.length;
  if (n === 0) return EMPTY;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let magnitude = 0;
  let whole = true;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // -0 is whole, but sorts before 0: it goes the sorting way.
    if (!Number.isInteger(v) || (v === 0 && 1 / v < 0)) {
      whole = false;
      break;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    magnitude += v < 0 ? -v : v;
  }
  if (!whole || magnitude > Number.MAX_SAFE_INTEGER) {
    // A typed array sorts numerically without a comparator call per pair.
    const sorted = Float64Array.from(values).sort();
    sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: n,
      minUs: sorted[0]!,
      p50Us: percentile(sorted, 50),
      p90Us: percentile(sorted, 90),
      p99Us: percentile(sorted, 99),
      maxUs: sorted[n - 1]!,
      meanUs: sum / n,
    };
  }
  // Highest rank first: each selection leaves the lower ranks to its left, a smaller range.
  // On a typed copy: faster to swap in than a plain array, which may have holes to check for.
  const a = values instanceof Float64Array ? values : Float64Array.from(values);
  const k99 = rankIndex(n, 99);
  select(a, k99, 0, n - 1);
  const k90 = rankIndex(n, 90);
  select(a, k90, 0, k99);
  const k50 = rankIndex(n, 50);
  select(a, k50, 0, k90);
  return {
    count: n,
    minUs: min,
    p50Us: a[k50]!,
    p90Us: a[k90]!,
    p99Us: a[k99]!,
    maxUs: max,
    meanUs: sum / n,
  };
}

/** Where percentile p's nearest rank falls in n ascending values (as `percentile` picks it). */
function rankIndex(n: number, p: number): number {
  return Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1;
}

/**
 * Floyd and Rivest's selection: puts the k-th smallest of a[left..right] at k, smaller ones
 * before it and larger ones after. For numbers without NaN.
 */
function select(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (m * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - m) * s) / n + sd));
      select(a, k, newLeft, newRight);
    }
    const t = a[k]!;
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right]! > t) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i]! < t) i++;
      while (a[j]! > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

export interface LinearFit {
  /** Change of y per step of x. */
  readonly slope: number;
  /** Pearson correlation, −1 to 1; 0 when either side does not vary. */
  readonly r: number;
}

/** Least-squares line through (x, y) points. */
function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: 0, r: 0 };
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0) return { slope: 0, r: 0 };
  return { slope: sxy / sxx, r: syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy) };
}

/**
 * One slope fitted within groups (each group its own intercept): for ranks that restart in
 * each Kafka partition. Each point is moved by its group's means, then fitted as one line;
 * with one group, the same as linearFit.
 */
export function groupedFit(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  groups: ArrayLike<number>,
  groupCount: number,
): LinearFit {
  if (groupCount <= 1) return linearFit(xs, ys);
  const n = Math.min(xs.length, ys.length);
  const sx = new Float64Array(groupCount);
  const sy = new Float64Array(groupCount);
  const count = new Float64Array(groupCount);
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    sx[g]! += xs[i]!;
    sy[g]! += ys[i]!;
    count[g]!++;
  }
  const cx = new Float64Array(n);
  const cy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    cx[i] = xs[i]! - sx[g]! / count[g]!;
    cy[i] = ys[i]! - sy[g]! / count[g]!;
  }
  return linearFit(cx, cy);
}
