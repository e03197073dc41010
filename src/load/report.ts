import type { Completion } from './completion.js';
import type { LoadRun, RequestOutcome } from './generator.js';
import { LatencyRecorder } from './histogram.js';
import type { LatencySummary } from './histogram.js';
import { describePlan, formatMs, plannedRatePerSec } from './schedule.js';
import type { LoadPlan } from './schedule.js';

/** What `tracelab load` prints at the end; `--json` prints exactly this. */
export interface LoadReport {
  readonly url: string;
  readonly plan: LoadPlan & { readonly description: string };
  readonly intensity: string | null;
  readonly startedAt: string;
  readonly requests: {
    readonly planned: number;
    readonly sent: number;
    readonly answered: number;
    readonly accepted: number;
    readonly failed: number;
    /** Sent only once a connection came free: the server held every connection. */
    readonly waitedForConnection: number;
  };
  readonly rate: {
    readonly plannedPerSec: number | null;
    readonly achievedPerSec: number | null;
    /** How late requests left against their plan, ms. */
    readonly sendLagMs: LatencySummary;
  };
  /** From each request's planned send time to its answer, ms. */
  readonly latencyMs: LatencySummary;
  readonly errors: Readonly<Record<string, number>>;
  readonly completion: {
    readonly accepted: number;
    readonly completed: number;
    readonly missing: number;
    readonly settleMs: number;
    readonly waitedMs: number;
    /** Accepted → counted by analytics, ms. */
    readonly endToEndMs: LatencySummary;
  } | null;
  readonly aborted: boolean;
}

export interface CompletionResult {
  readonly completions: ReadonlyMap<string, Completion>;
  readonly settleMs: number;
  readonly waitedMs: number;
}

/** What a load run report is made of: where it went, what was planned, what came back. */
export interface ReportInput {
  readonly url: string;
  readonly plan: LoadPlan;
  readonly intensity: string | undefined;
  readonly run: LoadRun;
  readonly completion: CompletionResult | undefined;
}

export function buildReport({ url, plan, intensity, run, completion }: ReportInput): LoadReport {
  const o = run.outcomes;
  const accepted = o.filter((x) => x.orderId !== undefined);
  const errors: Record<string, number> = {};
  for (const x of o) if (x.error) errors[x.error] = (errors[x.error] ?? 0) + 1;
  const first = o[0]?.sentMs;
  const last = o[o.length - 1]?.sentMs;
  // n requests span n−1 gaps; a burst or a single request has no rate to speak of.
  const achieved =
    o.length > 1 && last! > first! && plan.mode !== 'burst'
      ? (o.length - 1) / ((last! - first!) / 1000)
      : null;
  let completionReport: LoadReport['completion'] = null;
  if (completion) {
    const e2e = new LatencyRecorder();
    for (const c of completion.completions.values()) e2e.recordMs(Math.max(0, c.endToEndMs));
    completionReport = {
      accepted: accepted.length,
      completed: completion.completions.size,
      missing: accepted.length - completion.completions.size,
      settleMs: completion.settleMs,
      waitedMs: completion.waitedMs,
      endToEndMs: e2e.summary(),
    };
  }
  return {
    url,
    plan: { ...plan, description: describePlan(plan) },
    intensity: intensity ?? null,
    startedAt: new Date(run.startedAtMs).toISOString(),
    requests: {
      planned: plannedCount(plan),
      sent: o.length,
      answered: o.filter((x) => x.status !== undefined).length,
      accepted: accepted.length,
      failed: o.filter((x) => x.error !== undefined).length,
      waitedForConnection: o.filter((x) => x.waitedForConnection).length,
    },
    rate: {
      plannedPerSec: plannedRatePerSec(plan) ?? null,
      achievedPerSec: achieved,
      sendLagMs: run.sendLag.summary(),
    },
    latencyMs: run.latency.summary(),
    errors,
    completion: completionReport,
    aborted: run.aborted,
  };
}

function plannedCount(plan: LoadPlan): number {
  return plan.mode === 'rate' ? Math.floor((plan.ratePerSec * plan.durationMs) / 1000) : plan.count;
}

function percentiles(s: LatencySummary, withP999 = true): string {
  if (s.count === 0) return 'none';
  const parts = [
    `p50 ${formatMs(s.p50)}`,
    `p90 ${formatMs(s.p90)}`,
    `p99 ${formatMs(s.p99)}`,
    ...(withP999 ? [`p99.9 ${formatMs(s.p999)}`] : []),
    `max ${formatMs(s.max)}`,
  ];
  return parts.join('  ');
}

const rate = (r: number | null) => (r === null ? '-' : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}/s`);

/** The report as a person reads it. */
export function formatReport(r: LoadReport): string {
  const q = r.requests;
  const lines = [
    `tracelab load: ${r.plan.description} to ${r.url}${r.intensity ? `, intensity ${r.intensity}` : ''}${r.aborted ? ' (stopped early)' : ''}`,
    '',
    `requests     ${q.sent}/${q.planned} sent, ${q.answered} answered: ${q.accepted} accepted (202), ${q.failed} failed`,
    `rate         planned ${r.plan.mode === 'burst' ? 'all at once' : rate(r.rate.plannedPerSec)}, achieved ${r.plan.mode === 'burst' ? '-' : rate(r.rate.achievedPerSec)}; sent late by p99 ${formatMs(r.rate.sendLagMs.p99)}, max ${formatMs(r.rate.sendLagMs.max)}`,
    `latency      ${percentiles(r.latencyMs)}  (from the planned send time)`,
    `errors       ${
      Object.keys(r.errors).length === 0
        ? 'none'
        : Object.entries(r.errors)
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${k}: ${n}`)
            .join(', ')
    }`,
  ];
  if (q.waitedForConnection > 0) {
    lines.push(
      `             ${q.waitedForConnection} request(s) waited for a free connection: raise --connections`,
    );
  }
  const c = r.completion;
  if (c) {
    lines.push(
      `completion   ${c.completed}/${c.accepted} accepted orders reached analytics${
        c.missing > 0
          ? `; ${c.missing} not within ${formatMs(c.settleMs)}`
          : ` in ${formatMs(c.waitedMs)} after the last answer`
      }`,
      `end-to-end   ${percentiles(c.endToEndMs)}  (accepted → counted by analytics)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** One row per request, for `--out`: CSV (a `.csv` file) or JSON lines. */
export function formatRows(
  outcomes: readonly RequestOutcome[],
  completions: ReadonlyMap<string, Completion> | undefined,
  format: 'csv' | 'jsonl',
): string {
  const rows = outcomes.map((o) => {
    const c = o.orderId ? completions?.get(o.orderId) : undefined;
    return {
      index: o.index,
      planned_ms: round3(o.plannedMs),
      sent_ms: round3(o.sentMs),
      latency_ms: o.latencyMs === undefined ? null : round3(o.latencyMs),
      status: o.status ?? null,
      error: o.error ?? null,
      order_id: o.orderId ?? null,
      trace_id: o.traceId ?? null,
      completed: o.orderId ? c !== undefined : null,
      end_to_end_ms: c ? c.endToEndMs : null,
    };
  });
  if (format === 'jsonl') return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const head = Object.keys(rows[0] ?? { index: 0 });
  const cell = (v: string | number | boolean | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return (
    [head.join(','), ...rows.map((r) => Object.values(r).map(cell).join(','))].join('\n') + '\n'
  );
}

// load imports nothing (see docs/architecture.md), so it keeps its own copy of errors' round.
const round3 = (x: number) => Math.round(x * 1000) / 1000;
