import { Column } from './column.js';
import type { Progress } from './column.js';
import type { LockingCall } from './lock-wait.js';
import { lockWaitOf } from './lock-wait.js';
import type {
  DatabaseReport,
  NPlusOne,
  PoolWait,
  SlowStatement,
  SpanRef,
  StatementStats,
} from './report-types.js';
import type { SpanTable } from './span-table.js';
import { percentile, summarise } from './stats.js';
import { TwoKeyMap } from './two-key-map.js';
import type { Microseconds } from './types.js';

/** Calls of one statement under one parent from which they count as N+1. */
export const N_PLUS_ONE_MIN = 5;
/** A pool's connect span: `pg-pool.connect`, or any other pool's `….pool.connect`. */
const POOL_CONNECT = /pool\.connect$/i;
/** Statements that take row locks, and so can wait for one. */
const LOCKING = new Set(['UPDATE', 'DELETE']);
const FOR_UPDATE = /\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b/i;
/**
 * Transaction control, never named as slow: it has no plan to read. Opening a transaction or
 * marking a point in it has nothing to wait for on the server, so its time is the round trip
 * and the caller's (a burst of requests at once lands on the first statement of each); ending
 * one waits for the server's log to reach the disk, which is the storage's time, not a plan's.
 */
const NO_WORK = /^\s*(?:BEGIN|START\s+TRANSACTION|SAVEPOINT|RELEASE|COMMIT|END|ROLLBACK|ABORT)\b/i;

const SLOW_RATIO = 10;
const SLOW_MIN_US = 1000;
const SLOW_USUAL_MIN_US = 10_000;
/**
 * Calls that slow, at least, for a statement to be slower than its usual: one cold start (the
 * first connection, a plan, a page read from disk) or a stall of the machine is not a pattern.
 */
const SLOW_USUAL_MIN_CALLS = 3;
const SLOW_USUAL_MIN_SHARE = 0.05;
/** …and that share at least this many times the share of the others' calls slow to theirs. */
const SLOW_USUAL_OVER_OTHERS = 3;

/** A label counted by how often it comes up, to name the most frequent. */
class Tally {
  private readonly counts = new Map<string, number>();
  add(label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }
  top(): string {
    let best = '';
    let n = 0;
    for (const [label, c] of this.counts) if (c > n) [best, n] = [label, c];
    return best;
  }
}

/** The longest of a set of spans, and where it is. */
class Slowest {
  ref: SpanRef = { traceID: '', spanID: '' };
  us = -1;
  add(t: SpanTable, i: number, us: Microseconds): void {
    if (us > this.us) {
      this.us = us;
      this.ref = { traceID: t.traceID, spanID: t.spanID[i]! };
    }
  }
}

class StatementFigures {
  readonly durations: Column;
  total = 0;
  private rows = 0;
  private rowCalls = 0;
  readonly slowest = new Slowest();
  /**
   * For statements that take row locks (lock waits): start and end of each call, its
   * transaction (its parent span, numbered) and when that transaction's last statement on the
   * same database ended.
   */
  readonly starts: Column | undefined;
  readonly ends: Column | undefined;
  readonly txs: Column | undefined;
  readonly txEnds: Column | undefined;

  constructor(
    progress: Progress,
    readonly service: string,
    readonly system: string,
    readonly operation: string,
    readonly statement: string,
  ) {
    this.durations = new Column(progress);
    if (LOCKING.has(operation) || FOR_UPDATE.test(statement)) {
      this.starts = new Column(progress);
      this.ends = new Column(progress);
      this.txs = new Column(progress);
      this.txEnds = new Column(progress);
    }
  }

  add(t: SpanTable, i: number): void {
    const d = t.end[i]! - t.start[i]!;
    this.durations.push(d);
    this.total += d;
    const rows = t.dbRows[i]!;
    if (rows === rows) {
      this.rows += rows;
      this.rowCalls++;
    }
    this.slowest.add(t, i, d);
  }

  /** A call of a row-locking statement, in transaction `tx` that ended at `txEndUs`. */
  addLocking(t: SpanTable, i: number, tx: number, txEndUs: number): void {
    this.starts!.push(t.start[i]!);
    this.ends!.push(t.end[i]!);
    this.txs!.push(tx);
    this.txEnds!.push(txEndUs);
  }

  /** The row-locking calls, for lockWaitOf. */
  lockingCalls(): LockingCall[] {
    const starts = this.starts!.values();
    const ends = this.ends!.values();
    const txs = this.txs!.values();
    const txEnds = this.txEnds!.values();
    return starts.map((startUs, k) => ({
      startUs,
      endUs: ends[k]!,
      tx: txs[k]!,
      txEndUs: txEnds[k]!,
    }));
  }

  result(): StatementStats {
    return {
      service: this.service,
      system: this.system,
      operation: this.operation,
      statement: this.statement,
      duration: summarise(this.durations.values()),
      totalUs: this.total,
      rowsMean: this.rowCalls ? Math.round((this.rows / this.rowCalls) * 10) / 10 : null,
      slowest: { ...this.slowest.ref, durationUs: this.slowest.us },
    };
  }
}

/** Parents that ran one statement at least N_PLUS_ONE_MIN times. */
class RepeatFigures {
  parents = 0;
  calls = 0;
  total = 0;
  parentsUs = 0;
  readonly parentOperation = new Tally();
  worst: (SpanRef & { count: number; totalUs: number; parentUs: number }) | undefined;
}

class PoolFigures {
  readonly waits: Column;
  newConnections = 0;
  total = 0;
  calls = 0;
  callsUs = 0;
  readonly callOperation = new Tally();
  readonly slowest = new Slowest();
  constructor(
    progress: Progress,
    readonly service: string,
    readonly operation: string,
  ) {
    this.waits = new Column(progress);
  }
}

/** The statement's text as a key: its whitespace collapsed. */
function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Database calls of the traces (`database`): per statement, N+1 under one parent, waiting for
 * a pooled connection, slow statements, lock waits. Reads only the database conventions' span
 * attributes and the pool's connect spans, never a table name.
 */
export class DatabaseUse {
  /** By service, then system and statement. */
  private readonly statements = new TwoKeyMap<StatementFigures>();
  private readonly repeats = new Map<StatementFigures, RepeatFigures>();
  private readonly pools = new TwoKeyMap<PoolFigures>();
  /** Per trace: calls of one statement under one parent. */
  private readonly underParent = new Map<number, Map<StatementFigures, number[]>>();
  private readonly callsSeen = new Set<number>();
  /** Transactions numbered so far, across traces. */
  private transactions = 0;

  constructor(
    private readonly progress: Progress,
    /** Only this service's spans, when set. */
    private readonly only: string | undefined,
  ) {}

  add(t: SpanTable): void {
    const only = this.only;
    this.underParent.clear();
    this.callsSeen.clear();
    for (let k = 0; k < t.n; k++) {
      const i = t.order[k]!;
      const service = t.service[i]!;
      if (only !== undefined && service !== only) continue;
      // The pool's connect spans carry the database's attributes too (pg's are CLIENT spans
      // with db.system.name), as does opening a connection (`pg.connect`): neither is a
      // statement, and only the first is waiting.
      if (POOL_CONNECT.test(t.operation[i]!)) this.addConnect(t, i, service);
      else {
        const system = t.dbSystem[i];
        if (system !== undefined && (t.dbStatement[i] ?? t.dbOperation[i]) !== undefined) {
          this.addStatement(t, i, service, system);
        }
      }
    }
    for (const [parent, byStatement] of this.underParent) {
      for (const [s, calls] of byStatement) {
        if (calls.length >= N_PLUS_ONE_MIN) this.addRepeat(t, parent, s, calls);
      }
      this.addLockingUnder(t, byStatement);
    }
  }

  /**
   * The row-locking calls under one parent: one transaction, which ends with its last statement
   * on the same database (its COMMIT).
   */
  private addLockingUnder(t: SpanTable, byStatement: Map<StatementFigures, number[]>): void {
    let tx: number | undefined;
    let ends: Map<string, number> | undefined;
    for (const [s, calls] of byStatement) {
      if (!s.starts) continue;
      tx ??= this.transactions++;
      // Once per parent: its last statement's end on each system.
      if (ends === undefined) {
        ends = new Map();
        for (const [other, its] of byStatement) {
          for (const c of its)
            ends.set(other.system, Math.max(ends.get(other.system) ?? -Infinity, t.end[c]!));
        }
      }
      const txEnd = ends.get(s.system)!;
      for (const i of calls) s.addLocking(t, i, tx, txEnd);
    }
  }

  private addStatement(t: SpanTable, i: number, service: string, system: string): void {
    const statement = normalise(t.dbStatement[i] ?? t.operation[i]!);
    const bySystem = this.statements.inner(service);
    const key = `${system}\u0000${statement}`;
    let s = bySystem.get(key);
    if (s === undefined) {
      s = new StatementFigures(this.progress, service, system, t.dbOperation[i] ?? '', statement);
      bySystem.set(key, s);
    }
    s.add(t, i);
    const parent = t.parent[i]!;
    if (parent < 0) {
      if (s.starts) s.addLocking(t, i, this.transactions++, t.end[i]!);
      return;
    }
    let byStatement = this.underParent.get(parent);
    if (byStatement === undefined)
      this.underParent.set(parent, (byStatement = new Map<StatementFigures, number[]>()));
    const calls = byStatement.get(s);
    if (calls) calls.push(i);
    else byStatement.set(s, [i]);
  }

  private addRepeat(t: SpanTable, parent: number, s: StatementFigures, calls: number[]): void {
    let r = this.repeats.get(s);
    if (r === undefined) this.repeats.set(s, (r = new RepeatFigures()));
    let total = 0;
    for (const i of calls) total += t.end[i]! - t.start[i]!;
    const parentUs = t.end[parent]! - t.start[parent]!;
    r.parents++;
    r.calls += calls.length;
    r.total += total;
    r.parentsUs += parentUs;
    r.parentOperation.add(t.operation[parent]!);
    if (r.worst === undefined || calls.length > r.worst.count) {
      r.worst = {
        traceID: t.traceID,
        spanID: t.spanID[parent]!,
        count: calls.length,
        totalUs: total,
        parentUs,
      };
    }
  }

  /** A pool connect: its time less the new connection made inside it (its children). */
  private addConnect(t: SpanTable, i: number, service: string): void {
    const operation = t.operation[i]!;
    const p =
      this.pools.find(service, operation) ??
      this.pools.add(service, operation, new PoolFigures(this.progress, service, operation));
    const d = t.end[i]! - t.start[i]!;
    let connecting = 0;
    for (let c = t.childStart[i]!; c < t.childStart[i + 1]!; c++) {
      const child = t.children[c]!;
      connecting += Math.min(t.end[child]!, t.end[i]!) - Math.max(t.start[child]!, t.start[i]!);
    }
    if (t.childStart[i + 1]! > t.childStart[i]!) p.newConnections++;
    const wait = Math.max(0, d - Math.max(0, connecting));
    p.waits.push(wait);
    p.total += wait;
    p.slowest.add(t, i, wait);
    const call = t.parent[i]!;
    if (call >= 0 && !this.callsSeen.has(call)) {
      this.callsSeen.add(call);
      p.calls++;
      p.callsUs += t.end[call]! - t.start[call]!;
      p.callOperation.add(t.operation[call]!);
    }
  }

  result(): DatabaseReport {
    const figures = [...this.statements.values()];
    const statements = figures.map((f) => f.result());
    const stats = new Map(figures.map((f, k) => [f, statements[k]!]));
    const lockWaits = figures.flatMap((f) => {
      if (!f.starts) return [];
      const lw = lockWaitOf(stats.get(f)!, f.lockingCalls());
      return lw ? [lw] : [];
    });
    const locked = new Set(lockWaits.map((l) => `${l.service}\u0000${l.statement}`));
    return {
      statements: [...statements].sort((a, b) => b.totalUs - a.totalUs),
      nPlusOne: [...this.repeats]
        .map(([f, r]) => nPlusOneOf(f, r))
        .sort((a, b) => b.totalUs - a.totalUs),
      poolWaits: [...this.pools.values()]
        .map(poolWaitOf)
        .sort((a, b) => b.totalWaitUs - a.totalWaitUs),
      slowStatements: slowStatements(
        statements.filter(
          (s) => !locked.has(`${s.service}\u0000${s.statement}`) && !NO_WORK.test(s.statement),
        ),
        statements,
        new Map(figures.map((f, k) => [statements[k]!, f.durations.values()])),
      ),
      lockWaits: lockWaits.sort((a, b) => b.totalWaitUs - a.totalWaitUs),
    };
  }
}

function nPlusOneOf(f: StatementFigures, r: RepeatFigures): NPlusOne {
  return {
    service: f.service,
    system: f.system,
    statement: f.statement,
    parentOperation: r.parentOperation.top(),
    parents: r.parents,
    meanCount: Math.round((r.calls / r.parents) * 10) / 10,
    worst: r.worst!,
    totalUs: r.total,
    parentsUs: r.parentsUs,
  };
}

function poolWaitOf(p: PoolFigures): PoolWait {
  return {
    service: p.service,
    operation: p.operation,
    connects: p.waits.length,
    newConnections: p.newConnections,
    wait: summarise(p.waits.values()),
    totalWaitUs: p.total,
    callOperation: p.callOperation.top(),
    calls: p.calls,
    callsUs: p.callsUs,
    share: p.callsUs > 0 ? Math.min(1, Math.round((p.total / p.callsUs) * 1000) / 1000) : 0,
    worst: { ...p.slowest.ref, waitUs: Math.max(0, p.slowest.us) },
  };
}

/**
 * Statements far slower than the others of their service and database, or than their own
 * usual time. `candidates` are judged against every statement of `all`; `durations` holds
 * each statement's calls.
 */
function slowStatements(
  candidates: readonly StatementStats[],
  all: readonly StatementStats[],
  durations: ReadonlyMap<StatementStats, readonly number[]>,
): SlowStatement[] {
  const threshold = (s: StatementStats) =>
    Math.max(SLOW_RATIO * s.duration.p50Us, SLOW_USUAL_MIN_US);
  const slowCallsOf = new Map<StatementStats, number>();
  for (const s of all) {
    let n = 0;
    for (const us of durations.get(s) ?? []) if (us >= threshold(s)) n++;
    slowCallsOf.set(s, n);
  }
  const out: SlowStatement[] = [];
  for (const s of candidates) {
    const others = all
      .filter((o) => o !== s && o.service === s.service && o.system === s.system)
      .map((o) => o.duration.p50Us)
      .sort((a, b) => a - b);
    const othersP50Us = others.length ? percentile(others, 50) : null;
    const d = s.duration;
    const thresholdUs = threshold(s);
    const slowCalls = slowCallsOf.get(s)!;
    // A stall of the caller or the machine slows every statement in flight alike: this one's
    // slow calls count only when they are far more frequent than the others'.
    let othersSlow = 0;
    let othersCalls = 0;
    for (const o of all) {
      if (o === s || o.service !== s.service || o.system !== s.system) continue;
      othersSlow += slowCallsOf.get(o)!;
      othersCalls += o.duration.count;
    }
    const share = slowCalls / d.count;
    let kind: SlowStatement['kind'] | undefined;
    if (othersP50Us !== null && d.p50Us >= SLOW_MIN_US && d.p50Us >= SLOW_RATIO * othersP50Us) {
      kind = 'slower-than-others';
    } else if (
      slowCalls >= SLOW_USUAL_MIN_CALLS &&
      share >= SLOW_USUAL_MIN_SHARE &&
      share >= SLOW_USUAL_OVER_OTHERS * (othersCalls ? othersSlow / othersCalls : 0)
    ) {
      kind = 'slower-than-usual';
    }
    if (kind === undefined) continue;
    out.push({
      service: s.service,
      system: s.system,
      operation: s.operation,
      statement: s.statement,
      kind,
      count: d.count,
      p50Us: d.p50Us,
      p99Us: d.p99Us,
      othersP50Us,
      slowCalls,
      slowThresholdUs: thresholdUs,
      slowest: s.slowest,
    });
  }
  return out.sort((a, b) => b.slowest.durationUs - a.slowest.durationUs);
}
