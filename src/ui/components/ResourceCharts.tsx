import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { SERVICES, isServiceKind } from '../../model/index.js';
import { fetchMetrics, fetchScalingEvents } from '../api.js';
import type { Capabilities, ResourceSeries, ScalingEvent } from '../api.js';
import { useLoad, useWidth } from '../hooks.js';
import { serviceColor } from '../model/colors.js';
import type { TraceModel } from '../model/trace.js';
import { tagValue } from '../model/trace.js';

/** Samples a little before and after the trace, so its first and last spans have context. */
const MARGIN_US = 500_000;

interface Interval {
  readonly fromS: number;
  readonly toS: number;
  readonly name: string;
}

/** A scaling event of the service, placed on the chart's time axis. */
interface Mark {
  readonly atS: number;
  readonly label: string;
}

/**
 * One process's CPU % and memory over the trace, with the workload spans shaded and the
 * service's scaling events drawn as dashed lines.
 */
function ProcessChart({
  series,
  t0Us,
  intervals,
  marks,
  color,
}: {
  series: ResourceSeries;
  t0Us: number;
  intervals: readonly Interval[];
  marks: readonly Mark[];
  color: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 700);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = series.points.map((p) => (p.t - t0Us) / 1e6);
    const cpu = series.points.map((p) => p.cpuPercent);
    const mem = series.points.map((p) => p.memoryMb);
    const shade: uPlot.Plugin = {
      hooks: {
        drawClear: (u) => {
          const { ctx } = u;
          const top = u.bbox.top;
          const h = u.bbox.height;
          ctx.save();
          ctx.fillStyle = 'rgba(100, 116, 139, 0.16)';
          for (const iv of intervals) {
            const x0 = u.valToPos(iv.fromS, 'x', true);
            const x1 = u.valToPos(iv.toS, 'x', true);
            ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
          }
          ctx.restore();
        },
        draw: (u) => drawMarks(u, marks),
      },
    };
    const plot = new uPlot(
      {
        width: Math.max(300, width),
        height: 150,
        plugins: [shade],
        legend: { show: true },
        scales: { x: { time: false }, cpu: { range: (_u, _min, max) => [0, Math.max(100, max)] } },
        axes: [
          { label: 's since trace start', size: 36, labelSize: 14 },
          { scale: 'cpu', values: (_u, ticks) => ticks.map((t) => `${t} %`), size: 56 },
          {
            scale: 'mb',
            side: 1,
            grid: { show: false },
            values: (_u, ticks) => ticks.map((t) => `${t} MB`),
            size: 64,
          },
        ],
        series: [
          { label: 's' },
          { label: 'CPU %', scale: 'cpu', stroke: color, width: 2, fill: `${color}22` },
          { label: 'memory MB', scale: 'mb', stroke: '#64748b', width: 1.5, dash: [4, 3] },
        ],
      },
      [xs, cpu, mem],
      el,
    );
    return () => plot.destroy();
  }, [series, t0Us, intervals, marks, color, width]);
  return (
    <div
      class="chart"
      ref={box}
      data-pid={series.pid ?? ''}
      data-points={series.points.length}
      data-marks={shownMarks(marks, series, t0Us)}
    />
  );
}

/** How many marks fall within the series' own time range: the ones its chart shows. */
function shownMarks(marks: readonly Mark[], series: ResourceSeries, t0Us: number): number {
  const first = series.points[0];
  const last = series.points[series.points.length - 1];
  if (!first || !last) return 0;
  const [fromS, toS] = [(first.t - t0Us) / 1e6, (last.t - t0Us) / 1e6];
  return marks.filter((m) => m.atS >= fromS && m.atS <= toS).length;
}

/** Each scaling event: a dashed line across the plot, its `from → to` at the top. */
function drawMarks(u: uPlot, marks: readonly Mark[]): void {
  const { ctx } = u;
  const { top, height, left, width } = u.bbox;
  ctx.save();
  ctx.strokeStyle = '#7c3aed';
  ctx.fillStyle = '#7c3aed';
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.font = `${12 * devicePixelRatio}px sans-serif`;
  for (const m of marks) {
    const x = u.valToPos(m.atS, 'x', true);
    if (x < left || x > left + width) continue;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillText(m.label, x + 4 * devicePixelRatio, top + 14 * devicePixelRatio);
  }
  ctx.restore();
}

/** The events of this service within the chart's range, in seconds since the trace start. */
function marksOf(
  events: readonly ScalingEvent[],
  service: string,
  model: TraceModel,
): Array<Mark & { event: ScalingEvent }> {
  return events
    .filter((e) => isServiceKind(e.service) && SERVICES[e.service].serviceName === service)
    .map((e) => ({
      event: e,
      atS: (e.at * 1000 - model.startUs) / 1e6,
      label: `${e.from} → ${e.to}`,
    }))
    .filter(
      (m) => m.atS >= -MARGIN_US / 1e6 && m.atS <= (model.endUs - model.startUs + MARGIN_US) / 1e6,
    );
}

function ServiceResources({
  service,
  model,
  events,
}: {
  service: string;
  model: TraceModel;
  events: readonly ScalingEvent[];
}) {
  const start = model.startUs - MARGIN_US;
  const end = model.endUs + MARGIN_US;
  const metrics = useLoad((s) => fetchMetrics(service, start, end, s), [service, start, end]);
  const intervals: Interval[] = model.ordered
    .filter(
      (n) => n.service === service && tagValue(n.span.tags, 'workload.operation') !== undefined,
    )
    .map((n) => ({
      fromS: (n.startUs - model.startUs) / 1e6,
      toS: (n.endUs - model.startUs) / 1e6,
      name: n.span.operationName,
    }));
  const series = metrics.value ?? [];
  const marks = marksOf(events, service, model);
  return (
    <div class="service-resources" data-service={service}>
      <h4>
        <i class="service-stripe" style={{ background: serviceColor(service) }} />
        {service}
        <span class="muted">
          {' '}
          · workload spans shaded: {intervals.map((i) => i.name).join(', ') || 'none'}
        </span>
      </h4>
      {metrics.error && <p class="error-box">{metrics.error}</p>}
      {!metrics.error && !metrics.loading && series.length === 0 && (
        <p class="muted">No samples from this service in the trace's time range.</p>
      )}
      {series.map((s) => (
        <div key={s.pid ?? 'unknown'}>
          <span class="muted">process {s.pid ?? '(pid unknown)'}</span>
          <ProcessChart
            series={s}
            t0Us={model.startUs}
            intervals={intervals}
            marks={marks}
            color={serviceColor(service)}
          />
        </div>
      ))}
      {marks.length > 0 && (
        <ul class="scale-marks">
          {marks.map((m) => (
            <li key={m.event.at} data-at={m.event.at}>
              <span class="scale-mark-line" /> scaled {m.event.from} → {m.event.to} replicas at{' '}
              {m.atS.toFixed(1)} s: {m.event.reason}
              {m.event.error && ` (failed: ${m.event.error})`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Under the waterfall: each service's CPU % and memory while the trace ran. */
export function ResourceCharts({ model, caps }: { model: TraceModel; caps: Capabilities }) {
  // Scaling events of tracelab up's autoscaler, marked on each service's charts.
  const events = useLoad((s) => fetchScalingEvents(s), [model.startUs]);
  return (
    <section class="resources panel">
      <h3>CPU and memory per service</h3>
      {caps.metrics ? (
        model.services.map((s) => (
          <ServiceResources key={s} service={s} model={model} events={events.value ?? []} />
        ))
      ) : (
        <p class="muted not-available">CPU and memory series: {caps.reasons.metrics}.</p>
      )}
    </section>
  );
}
