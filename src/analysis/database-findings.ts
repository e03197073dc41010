import { formatDuration as fmt } from './format.js';
import type {
  DatabaseReport,
  Finding,
  LockWait,
  NPlusOne,
  PoolWait,
  SlowStatement,
} from './report-types.js';

/** Findings of each kind at most: the worst ones; the rest are in the report. */
const MAX_PER_KIND = 3;
/** Statements are quoted up to this length in a finding; the figures hold them whole. */
const QUOTE_MAX = 110;
/**
 * Waiting for a pooled connection is named from this share of the calls' time (a stalled
 * event loop stretches a connect that finds a free connection by a few ms: 5 % of ten quick
 * calls on a busy machine)…
 */
const POOL_SHARE_MIN = 0.1;
/**
 * …and at least a tenth of the connects waited this long: the pool's first connects open its
 * connections (a cold start, not a queue for them).
 */
const POOL_WAIT_MIN_US = 1000;

const pct = (share: number) => `${Math.round(share * 100)} %`;

/** A statement as a finding quotes it: whole, or cut with an ellipsis. */
export function quoteStatement(statement: string): string {
  const s = statement.replace(/`/g, "'");
  return `\`${s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX - 1)}…` : s}\``;
}

/** What the database calls of a report say: N+1, pool waits, lock waits, slow statements. */
export function databaseFindings(db: DatabaseReport): Finding[] {
  return [
    ...db.nPlusOne.slice(0, MAX_PER_KIND).map(nPlusOne),
    ...db.poolWaits
      .filter((p) => p.share >= POOL_SHARE_MIN && p.wait.p90Us >= POOL_WAIT_MIN_US)
      .slice(0, MAX_PER_KIND)
      .map(poolWait),
    ...db.lockWaits.slice(0, MAX_PER_KIND).map(lockWait),
    ...db.slowStatements.slice(0, MAX_PER_KIND).map(slowStatement),
  ];
}

function nPlusOne(n: NPlusOne): Finding {
  const w = n.worst;
  const spans =
    n.parents > 1 ? ` (${n.parents} such spans, ${n.meanCount} times each on average)` : '';
  return {
    severity: 'warning',
    kind: 'n-plus-one',
    service: n.service,
    text: `N+1 queries in ${n.service}: ${quoteStatement(n.statement)} ran ${w.count} times under one \`${n.parentOperation}\` span${spans}, ${fmt(w.totalUs)} of that span's ${fmt(w.parentUs)} (${pct(w.parentUs > 0 ? w.totalUs / w.parentUs : 0)}), one round trip to ${n.system} each; one statement for all the rows would make it one.`,
    figures: {
      statement: n.statement,
      system: n.system,
      parentOperation: n.parentOperation,
      count: w.count,
      totalUs: w.totalUs,
      parentUs: w.parentUs,
      parents: n.parents,
      meanCount: n.meanCount,
      allTotalUs: n.totalUs,
      traceID: w.traceID,
      spanID: w.spanID,
    },
  };
}

function poolWait(p: PoolWait): Finding {
  return {
    severity: 'warning',
    kind: 'pool-wait',
    service: p.service,
    text: `${p.service} waits for a pooled database connection: ${p.connects} \`${p.operation}\` calls waited p50 ${fmt(p.wait.p50Us)}, p90 ${fmt(p.wait.p90Us)}, up to ${fmt(p.wait.maxUs)} for a free connection, ${fmt(p.totalWaitUs)} in all: ${pct(p.share)} of the time of the \`${p.callOperation}\` calls that asked for one. More calls are in flight than the pool has connections.`,
    figures: {
      operation: p.operation,
      connects: p.connects,
      newConnections: p.newConnections,
      waitP50Us: p.wait.p50Us,
      waitP90Us: p.wait.p90Us,
      waitMaxUs: p.wait.maxUs,
      totalWaitUs: p.totalWaitUs,
      callOperation: p.callOperation,
      calls: p.calls,
      callsUs: p.callsUs,
      share: p.share,
      traceID: p.worst.traceID,
      spanID: p.worst.spanID,
    },
  };
}

function lockWait(l: LockWait): Finding {
  return {
    severity: 'warning',
    kind: 'lock-wait',
    service: l.service,
    text: `Lock waits in ${l.service}: ${quoteStatement(l.statement)} ran ${l.executions} times, up to ${l.maxInFlight} at once; ${l.stretched} of them ended only as another transaction that had run it ended, after p50 ${fmt(l.stretchedP50Us)} against ${fmt(l.aloneP50Us)} when nothing held them up (the slowest ${fmt(l.slowest.durationUs)}), ${fmt(l.totalWaitUs)} waited in all: each waited for the row lock that transaction held until it ended.`,
    figures: {
      statement: l.statement,
      system: l.system,
      executions: l.executions,
      overlapping: l.overlapping,
      stretched: l.stretched,
      aloneP50Us: l.aloneP50Us,
      stretchedP50Us: l.stretchedP50Us,
      totalWaitUs: l.totalWaitUs,
      maxInFlight: l.maxInFlight,
      slowestUs: l.slowest.durationUs,
      traceID: l.slowest.traceID,
      spanID: l.slowest.spanID,
    },
  };
}

function slowStatement(s: SlowStatement): Finding {
  const against =
    s.kind === 'slower-than-others'
      ? `takes p50 ${fmt(s.p50Us)} against p50 ${fmt(s.othersP50Us ?? 0)} for the other ${s.system} statements of ${s.service} (the slowest ${fmt(s.slowest.durationUs)}, ${s.count} calls): read its plan (EXPLAIN ANALYZE); a scan where an index should serve is the usual cause.`
      : `usually takes p50 ${fmt(s.p50Us)}, but ${s.slowCalls} of its ${s.count} calls took ${fmt(s.slowThresholdUs)} or more (the slowest ${fmt(s.slowest.durationUs)}).`;
  return {
    severity: 'warning',
    kind: 'slow-statement',
    service: s.service,
    text: `Slow statement in ${s.service}: ${quoteStatement(s.statement)} ${against}`,
    figures: {
      statement: s.statement,
      system: s.system,
      slowKind: s.kind,
      count: s.count,
      p50Us: s.p50Us,
      p99Us: s.p99Us,
      othersP50Us: s.othersP50Us,
      slowCalls: s.slowCalls,
      slowestUs: s.slowest.durationUs,
      traceID: s.slowest.traceID,
      spanID: s.slowest.spanID,
    },
  };
}
