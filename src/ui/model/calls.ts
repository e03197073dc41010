import type { JaegerSpan, JaegerTrace } from '../../model/index.js';
import type { BreakerReading, Call } from './service-map.js';
import { isErrorSpan, tagValue } from './trace.js';

const serviceOf = (trace: JaegerTrace, span: JaegerSpan) =>
  trace.processes[span.processID]?.serviceName ?? span.processID;

/** The database system of a span: the stable `db.system.name`, else the older `db.system`. */
export function dbSystemOf(span: JaegerSpan): string | undefined {
  const v = tagValue(span.tags, 'db.system.name') ?? tagValue(span.tags, 'db.system');
  return v === undefined ? undefined : String(v);
}

/** A database statement's text: `db.query.text`, else the older `db.statement`. */
export function dbStatementOf(span: JaegerSpan): string | undefined {
  const v = tagValue(span.tags, 'db.query.text') ?? tagValue(span.tags, 'db.statement');
  return v === undefined ? undefined : String(v);
}

/** What a server span serves: method and route (`POST /reservations`), else its name. */
function routeOf(server: JaegerSpan): string {
  const route = tagValue(server.tags, 'http.route');
  const method =
    tagValue(server.tags, 'http.request.method') ?? tagValue(server.tags, 'http.method');
  return route !== undefined && method !== undefined
    ? `${String(method)} ${String(route)}`
    : server.operationName;
}

/**
 * The synchronous calls of a trace: each CLIENT span with a database system and a statement
 * (connecting is not a call), and each other CLIENT span whose child SERVER span runs in another
 * service. A client span with no traced server under it (a call outside the lab) is left out:
 * its callee has no name on the map.
 */
export function callsOf(trace: JaegerTrace): Call[] {
  const servers = new Map<string, JaegerSpan>();
  for (const s of trace.spans) {
    if (tagValue(s.tags, 'span.kind') !== 'server') continue;
    const parent = s.references.find((r) => r.refType === 'CHILD_OF');
    if (parent && !servers.has(parent.spanID)) servers.set(parent.spanID, s);
  }
  const calls: Call[] = [];
  for (const s of trace.spans) {
    if (tagValue(s.tags, 'span.kind') !== 'client') continue;
    const from = serviceOf(trace, s);
    const base = {
      fromService: from,
      startUs: s.startTime,
      durationUs: s.duration,
      error: isErrorSpan(s),
    };
    const system = dbSystemOf(s);
    if (system !== undefined) {
      const statement = dbStatementOf(s);
      const verb = tagValue(s.tags, 'db.operation.name') ?? /^\s*(\w+)/.exec(statement ?? '')?.[1];
      if (statement === undefined && verb === undefined) continue;
      calls.push({
        ...base,
        kind: 'database',
        to: system,
        operation: String(verb ?? s.operationName).toUpperCase(),
      });
      continue;
    }
    const server = servers.get(s.spanID);
    if (!server) continue;
    const to = serviceOf(trace, server);
    if (to === from) continue;
    calls.push({ ...base, kind: 'http', to, operation: routeOf(server), traceId: trace.traceID });
  }
  return calls;
}

/** Every span of a trace that says its service's breaker state (`tracelab.circuit_breaker.state`). */
export function breakerReadingsOf(trace: JaegerTrace): BreakerReading[] {
  return trace.spans.flatMap((s) => {
    const state = tagValue(s.tags, 'tracelab.circuit_breaker.state');
    return state === undefined
      ? []
      : [
          {
            fromService: serviceOf(trace, s),
            atUs: s.startTime + s.duration,
            state: String(state),
          },
        ];
  });
}
