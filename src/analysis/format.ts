import { round } from '../errors/index.js';
import type { Microseconds } from './types.js';

/** A duration in the unit a reader takes in at a glance: 37 s, 4.1 s, 250 ms, 12.5 ms, 800 µs. */
export function formatDuration(us: Microseconds): string {
  const a = Math.abs(us);
  if (a === 0) return '0 ms';
  if (a >= 10_000_000) return `${round(us / 1e6, 0)} s`;
  if (a >= 1_000_000) return `${round(us / 1e6, 1)} s`;
  if (a >= 10_000) return `${round(us / 1e3, 0)} ms`;
  if (a >= 1_000) return `${round(us / 1e3, 1)} ms`;
  return `${round(us, 0)} µs`;
}

/** Microseconds shown as milliseconds with one decimal, for tables (load's formatMs takes ms). */
export function formatUsAsMs(us: Microseconds): string {
  return (us / 1000).toFixed(1);
}

/** A signed percentage: +12.5 %, −40 %. */
export function formatPercent(pct: number | null): string {
  if (pct === null) return 'n/a';
  return `${pct > 0 ? '+' : pct < 0 ? '−' : ''}${Math.abs(round(pct, 1))} %`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st … */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
