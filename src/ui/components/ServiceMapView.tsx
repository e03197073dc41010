import dagre from '@dagrejs/dagre';
import type { EdgeLabel, GraphLabel, NodeLabel } from '@dagrejs/dagre';
import { serviceColor } from '../model/colors.js';
import { formatDuration } from '../model/format.js';
import type { ServiceMap } from '../model/service-map.js';

const SERVICE_W = 190;
const SERVICE_H = 48;
const TOPIC_W = 210;
const TOPIC_H = 76;

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

/** Services and topics placed by dagre, top to bottom. */
function layOut(map: ServiceMap): MapGraph {
  const g: MapGraph = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 34, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of map.services) g.setNode(`s:${s}`, { width: SERVICE_W, height: SERVICE_H });
  map.edges.forEach((e, i) => {
    g.setNode(`t:${i}`, { width: TOPIC_W, height: TOPIC_H });
    g.setEdge(`s:${e.fromService}`, `t:${i}`);
    g.setEdge(`t:${i}`, `s:${e.toService}`);
  });
  dagre.layout(g);
  return g;
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
      <text x={TOPIC_W / 2} y="35" text-anchor="middle">
        {e.perMinute.toFixed(1)}/min · {e.count} msgs
      </text>
      <text x={TOPIC_W / 2} y="51" text-anchor="middle">
        wait p50 {formatDuration(e.waitP50Us)} · p95 {formatDuration(e.waitP95Us)}
      </text>
      <text x={TOPIC_W / 2} y="67" text-anchor="middle" class={e.errorRate > 0 ? 'error-mark' : ''}>
        errors {(e.errorRate * 100).toFixed(e.errorRate > 0 && e.errorRate < 0.1 ? 1 : 0)} %
      </text>
    </g>
  );
}

/** Services as boxes, each topic as a node between its sender and its handler, laid out by dagre. */
export function ServiceMapView({
  map,
  bottleneck,
}: {
  map: ServiceMap;
  bottleneck?: MapBottleneck | null;
}) {
  const g = layOut(map);
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
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#94a3b8" />
        </marker>
      </defs>
      {g.edges().map((e) => {
        const pts = g.edge(e).points ?? [];
        const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
        return (
          <g key={`${e.v}-${e.w}`} class="map-edge">
            <path d={d} marker-end="url(#arrow)" />
          </g>
        );
      })}
      {map.services.map((s) => (
        <ServiceNode key={s} service={s} at={at(`s:${s}`)} />
      ))}
      {map.edges.map((e, i) => (
        <TopicNode
          key={`${e.fromService}/${e.topic}/${e.toService}`}
          edge={e}
          at={at(`t:${i}`)}
          isBottleneck={bottleneck?.topic === e.topic && bottleneck.service === e.toService}
        />
      ))}
    </svg>
  );
}
