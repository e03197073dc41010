import dagre from '@dagrejs/dagre';
import type { EdgeLabel, GraphLabel, NodeLabel } from '@dagrejs/dagre';
import { serviceColor } from '../model/colors.js';
import { formatDuration } from '../model/format.js';
import { lagOfEdge, topicFans } from '../model/service-map.js';
import type { GroupBacklog, ServiceMap, TopicFan } from '../model/service-map.js';

const SERVICE_W = 190;
const SERVICE_H = 48;
const TOPIC_W = 210;
const TOPIC_H = 76;
const CALL_W = 210;
const CALL_H = 76;
const DB_W = 150;
const DB_H = 62;
const FAN_H = 60;
const GROUP_H = 92;

/** How an edge's line is drawn: dashed through a queue, solid for a synchronous call. */
type EdgeKind = 'queue' | 'sync' | 'database';

interface Placed {
  readonly x: number;
  readonly y: number;
}

/** The analysis' bottleneck (report.bottleneck): its queue is drawn as the one that backs up. */
export interface MapBottleneck {
  readonly service: string;
  readonly topic: string;
}

type MapGraph = InstanceType<typeof dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>>;

/**
 * Services, databases, topics and calls placed by dagre, top to bottom; each topic and each
 * call is a node between its two ends, so its figures sit on the way. Also the kind of each
 * edge, by `v->w`.
 */
function layOut(
  map: ServiceMap,
  fans: readonly TopicFan[],
): { g: MapGraph; kinds: Map<string, EdgeKind> } {
  const g: MapGraph = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 34, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const kinds = new Map<string, EdgeKind>();
  const edge = (v: string, w: string, kind: EdgeKind) => {
    g.setEdge(v, w);
    kinds.set(`${v}->${w}`, kind);
  };
  for (const s of map.services) g.setNode(`s:${s}`, { width: SERVICE_W, height: SERVICE_H });
  for (const d of map.databases) g.setNode(`d:${d}`, { width: DB_W, height: DB_H });
  fans.forEach((fan, k) => {
    if (fan.edges.length === 1) {
      const i = fan.edges[0]!;
      const e = map.edges[i]!;
      g.setNode(`t:${i}`, { width: TOPIC_W, height: TOPIC_H });
      edge(`s:${e.fromService}`, `t:${i}`, 'queue');
      edge(`t:${i}`, `s:${e.toService}`, 'queue');
      return;
    }
    // Fan-out: the topic once, then one box per consumer group on its own edge.
    g.setNode(`f:${k}`, { width: TOPIC_W, height: FAN_H });
    edge(`s:${fan.fromService}`, `f:${k}`, 'queue');
    for (const i of fan.edges) {
      g.setNode(`t:${i}`, { width: TOPIC_W, height: GROUP_H });
      edge(`f:${k}`, `t:${i}`, 'queue');
      edge(`t:${i}`, `s:${map.edges[i]!.toService}`, 'queue');
    }
  });
  map.calls.forEach((c, i) => {
    const kind = c.kind === 'http' ? 'sync' : 'database';
    g.setNode(`c:${i}`, { width: CALL_W, height: callHeight(c) });
    edge(`s:${c.fromService}`, `c:${i}`, kind);
    edge(`c:${i}`, `${c.kind === 'http' ? 's' : 'd'}:${c.to}`, kind);
  });
  dagre.layout(g);
  return { g, kinds };
}

/** A database as a cylinder. */
function DatabaseNode({ system, at }: { system: string; at: Placed }) {
  const ry = 7;
  return (
    <g
      class="map-node database"
      data-database={system}
      transform={`translate(${at.x - DB_W / 2},${at.y - DB_H / 2})`}
    >
      <path
        d={`M 0 ${ry} A ${DB_W / 2} ${ry} 0 0 1 ${DB_W} ${ry} L ${DB_W} ${DB_H - ry} A ${DB_W / 2} ${ry} 0 0 1 0 ${DB_H - ry} Z`}
      />
      <path class="rim" d={`M 0 ${ry} A ${DB_W / 2} ${ry} 0 0 0 ${DB_W} ${ry}`} />
      <text x={DB_W / 2} y={DB_H / 2 + 4} text-anchor="middle">
        {system}
      </text>
      <text class="sub" x={DB_W / 2} y={DB_H / 2 + 19} text-anchor="middle">
        database
      </text>
    </g>
  );
}

/** The three lines of figures under a topic's or a call's name: rate, time, errors. */
function Figures(p: { width: number; rate: string; time: string; errorRate: number }) {
  const e = p.errorRate;
  return (
    <>
      <text x={p.width / 2} y="35" text-anchor="middle">
        {p.rate}
      </text>
      <text x={p.width / 2} y="51" text-anchor="middle">
        {p.time}
      </text>
      <text x={p.width / 2} y="67" text-anchor="middle" class={e > 0 ? 'error-mark' : ''}>
        errors {(e * 100).toFixed(e > 0 && e < 0.1 ? 1 : 0)} %
      </text>
    </>
  );
}

/** A call's box is a line taller when it has attempts per order or a breaker to show. */
function callHeight(c: ServiceMap['calls'][number]): number {
  return c.kind === 'http' && (c.perTrace !== undefined || c.breaker !== undefined)
    ? CALL_H + 16
    : CALL_H;
}

/** A synchronous call's box on its solid edge: what is called, its rate and latency. */
function CallNode({ call: c, at }: { call: ServiceMap['calls'][number]; at: Placed }) {
  const sync = c.kind === 'http';
  const what = sync
    ? c.operations.slice(0, 1).join('') +
      (c.operations.length > 1 ? ` +${c.operations.length - 1}` : '')
    : c.operations.slice(0, 3).join(', ') + (c.operations.length > 3 ? '…' : '');
  return (
    <g
      class={`map-edge call ${sync ? 'sync' : 'database'}`}
      data-from={c.fromService}
      data-to={c.to}
      transform={`translate(${at.x - CALL_W / 2},${at.y - callHeight(c) / 2})`}
    >
      <title>
        {sync ? `synchronous call: ${c.fromService} → ${c.to}` : `${c.fromService} → ${c.to}`}:{' '}
        {c.operations.join(', ')}
      </title>
      <rect width={CALL_W} height={callHeight(c)} rx="4" />
      <text class="call-name" x={CALL_W / 2} y="17" text-anchor="middle">
        {sync ? `HTTP ${what}` : what}
      </text>
      <Figures
        width={CALL_W}
        rate={`${c.perMinute.toFixed(1)}/min · ${c.count} ${sync ? 'calls' : 'statements'}`}
        time={`latency p50 ${formatDuration(c.latencyP50Us)} · p95 ${formatDuration(c.latencyP95Us)}`}
        errorRate={c.errorRate}
      />
      {sync && (c.perTrace !== undefined || c.breaker !== undefined) && (
        <text
          class={`call-policy${c.breaker && c.breaker !== 'closed' ? ' error-mark' : ''}`}
          x={CALL_W / 2}
          y="83"
          text-anchor="middle"
        >
          {[
            c.perTrace !== undefined ? `${c.perTrace.toFixed(1)} attempts/order` : undefined,
            c.breaker !== undefined ? `breaker ${c.breaker.replace('_', '-')}` : undefined,
          ]
            .filter((x) => x !== undefined)
            .join(' · ')}
        </text>
      )}
    </g>
  );
}

function ServiceNode({ service, at }: { service: string; at: Placed }) {
  return (
    <g
      class="map-node service"
      data-service={service}
      transform={`translate(${at.x - SERVICE_W / 2},${at.y - SERVICE_H / 2})`}
    >
      <rect width={SERVICE_W} height={SERVICE_H} rx="8" style={{ stroke: serviceColor(service) }} />
      <rect
        width="6"
        height={SERVICE_H}
        rx="3"
        style={{ fill: serviceColor(service), stroke: 'none' }}
      />
      <text x={SERVICE_W / 2 + 3} y={SERVICE_H / 2 + 5} text-anchor="middle">
        {service}
      </text>
    </g>
  );
}

function TopicNode({
  edge: e,
  at,
  isBottleneck,
}: {
  edge: ServiceMap['edges'][number];
  at: Placed;
  isBottleneck: boolean;
}) {
  return (
    <g
      class={isBottleneck ? 'map-edge topic bottleneck' : 'map-edge topic'}
      data-topic={e.topic}
      transform={`translate(${at.x - TOPIC_W / 2},${at.y - TOPIC_H / 2})`}
    >
      {isBottleneck && <title>bottleneck: {e.toService} falls behind here</title>}
      <rect
        width={TOPIC_W}
        height={TOPIC_H}
        rx="10"
        fill={isBottleneck ? '#fee2e2' : '#fff7ed'}
        stroke={isBottleneck ? '#dc2626' : '#f97316'}
        stroke-dasharray={isBottleneck ? undefined : '4 3'}
      />
      <text class="topic-name" x={TOPIC_W / 2} y="17" text-anchor="middle">
        {isBottleneck ? `${e.topic} · bottleneck` : e.topic}
      </text>
      <Figures
        width={TOPIC_W}
        rate={`${e.perMinute.toFixed(1)}/min · ${e.count} msgs`}
        time={`wait p50 ${formatDuration(e.waitP50Us)} · p95 ${formatDuration(e.waitP95Us)}`}
        errorRate={e.errorRate}
      />
    </g>
  );
}

/** A topic read by two or more consumer groups: its name, what was published, how many read it. */
function FanNode({ fan, map, at }: { fan: TopicFan; map: ServiceMap; at: Placed }) {
  const first = map.edges[fan.edges[0]!]!;
  return (
    <g
      class="map-edge topic fan-out"
      data-topic={fan.topic}
      data-groups={fan.edges.length}
      transform={`translate(${at.x - TOPIC_W / 2},${at.y - FAN_H / 2})`}
    >
      <title>
        fan-out: {fan.edges.length} consumer groups each receive every message of {fan.topic}
      </title>
      <rect width={TOPIC_W} height={FAN_H} rx="10" fill="#fff7ed" stroke="#f97316" />
      <text class="topic-name" x={TOPIC_W / 2} y="17" text-anchor="middle">
        {fan.topic}
      </text>
      <text x={TOPIC_W / 2} y="35" text-anchor="middle">
        {`${first.perMinute.toFixed(1)}/min · ${first.count} msgs`}
      </text>
      <text x={TOPIC_W / 2} y="51" text-anchor="middle">
        {`fan-out: ${fan.edges.length} consumer groups`}
      </text>
    </g>
  );
}

/** One consumer group of a fanned-out topic: its wait, its errors and its own live lag. */
function GroupNode(p: {
  edge: ServiceMap['edges'][number];
  at: Placed;
  lag: number | undefined;
  isBottleneck: boolean;
}) {
  const { edge: e, at, lag, isBottleneck } = p;
  return (
    <g
      class={isBottleneck ? 'map-edge group bottleneck' : 'map-edge group'}
      data-topic={e.topic}
      data-group={e.toService}
      data-lag={lag ?? ''}
      transform={`translate(${at.x - TOPIC_W / 2},${at.y - GROUP_H / 2})`}
    >
      <title>
        consumer group {e.toService} on {e.topic}
        {isBottleneck ? `: the bottleneck, ${e.toService} falls behind here` : ''}
      </title>
      <rect
        width={TOPIC_W}
        height={GROUP_H}
        rx="4"
        fill={isBottleneck ? '#fee2e2' : '#fffbeb'}
        stroke={isBottleneck ? '#dc2626' : '#f97316'}
        stroke-dasharray={isBottleneck ? undefined : '4 3'}
      />
      <text class="topic-name" x={TOPIC_W / 2} y="17" text-anchor="middle">
        {`group ${e.toService}`}
      </text>
      <Figures
        width={TOPIC_W}
        rate={`${e.count} msgs handled`}
        time={`wait p50 ${formatDuration(e.waitP50Us)} · p95 ${formatDuration(e.waitP95Us)}`}
        errorRate={e.errorRate}
      />
      <text
        x={TOPIC_W / 2}
        y="84"
        text-anchor="middle"
        class={lag !== undefined && lag > 0 ? 'lag-mark error-mark' : 'lag-mark'}
      >
        {lag === undefined ? 'lag —' : `lag ${lag} (live)`}
      </text>
    </g>
  );
}

const ARROW_COLOURS: Record<EdgeKind, string> = {
  queue: '#f97316',
  sync: '#1d4ed8',
  database: '#0f766e',
};

/**
 * Services as boxes, databases as cylinders; each topic a node between its sender and its
 * handler on dashed lines, each synchronous call a node on solid lines; laid out by dagre.
 */
export function ServiceMapView({
  map,
  bottleneck,
  backlog,
}: {
  map: ServiceMap;
  bottleneck?: MapBottleneck | null;
  /** The live lag of each consumer group, shown on a fanned-out topic's group boxes. */
  backlog?: readonly GroupBacklog[] | undefined;
}) {
  const fans = topicFans(map);
  const fanned = new Set(fans.filter((f) => f.edges.length > 1).flatMap((f) => f.edges));
  const { g, kinds } = layOut(map, fans);
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 600);
  const height = Math.ceil(graph.height ?? 200);
  const at = (id: string): Placed => {
    const n = g.node(id);
    return { x: n.x ?? 0, y: n.y ?? 0 };
  };
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label="service map"
    >
      <defs>
        {Object.entries(ARROW_COLOURS).map(([kind, colour]) => (
          <marker
            key={kind}
            id={`arrow-${kind}`}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill={colour} />
          </marker>
        ))}
      </defs>
      {g.edges().map((e) => {
        const pts = g.edge(e).points ?? [];
        const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
        const kind = kinds.get(`${e.v}->${e.w}`) ?? 'queue';
        return (
          <g key={`${e.v}-${e.w}`} class={`map-line ${kind}`} data-kind={kind}>
            <path d={d} marker-end={`url(#arrow-${kind})`} />
          </g>
        );
      })}
      {map.services.map((s) => (
        <ServiceNode key={s} service={s} at={at(`s:${s}`)} />
      ))}
      {map.databases.map((d) => (
        <DatabaseNode key={d} system={d} at={at(`d:${d}`)} />
      ))}
      {map.calls.map((c, i) => (
        <CallNode key={`${c.kind}/${c.fromService}/${c.to}`} call={c} at={at(`c:${i}`)} />
      ))}
      {fans.map((f, k) =>
        f.edges.length > 1 ? (
          <FanNode key={`${f.fromService}/${f.topic}`} fan={f} map={map} at={at(`f:${k}`)} />
        ) : null,
      )}
      {map.edges.map((e, i) => {
        const key = `${e.fromService}/${e.topic}/${e.toService}`;
        const isBottleneck = bottleneck?.topic === e.topic && bottleneck.service === e.toService;
        return fanned.has(i) ? (
          <GroupNode
            key={key}
            edge={e}
            at={at(`t:${i}`)}
            lag={lagOfEdge(e, backlog)}
            isBottleneck={isBottleneck}
          />
        ) : (
          <TopicNode key={key} edge={e} at={at(`t:${i}`)} isBottleneck={isBottleneck} />
        );
      })}
    </svg>
  );
}

/** What the lines and shapes of the map mean. */
export function ServiceMapLegend() {
  return (
    <div class="map-legend">
      <span class="legend-item">
        <svg width="34" height="10" aria-hidden="true">
          <line class="legend-line sync" x1="0" y1="5" x2="34" y2="5" />
        </svg>
        synchronous call (HTTP request/reply): calls per minute, latency p50 · p95 as the caller
        waited
      </span>
      <span class="legend-item">
        <svg width="34" height="10" aria-hidden="true">
          <line class="legend-line queue" x1="0" y1="5" x2="34" y2="5" />
        </svg>
        through a queue (a topic): messages per minute, wait in the topic p50 · p95
      </span>
      <span class="legend-item">
        <svg width="34" height="10" aria-hidden="true">
          <line class="legend-line database" x1="0" y1="5" x2="34" y2="5" />
        </svg>
        database statements: statements per minute, latency p50 · p95
      </span>
      <span class="legend-item">
        <svg width="14" height="16" aria-hidden="true" class="legend-cylinder">
          <path d="M 1 3 A 6 2.5 0 0 1 13 3 L 13 13 A 6 2.5 0 0 1 1 13 Z" />
        </svg>
        a database, named by the calls' db.system.name
      </span>
    </div>
  );
}
