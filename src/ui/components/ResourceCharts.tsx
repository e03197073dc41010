import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { fetchMetrics } from '../api.js';
import type { Capabilities, ResourceSeries } from '../api.js';
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

/** One process's CPU % and memory over the trace, with the workload spans shaded. */
function ProcessChart({
  series,
  t0Us,
  intervals,
  color,
}: {
  series: ResourceSeries;
  t0Us: number;
  intervals: readonly Interval[];
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
  }, [series, t0Us, intervals, color, width]);
  return (
    <div class="chart" ref={box} data-pid={series.pid ?? ''} data-points={series.points.length} />
  );
}

function ServiceResources({ service, model }: { service: string; model: TraceModel }) {
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
            color={serviceColor(service)}
          />
        </div>
      ))}
    </div>
  );
}

/** Under the waterfall: each service's CPU % and memory while the trace ran. */
export function ResourceCharts({ model, caps }: { model: TraceModel; caps: Capabilities }) {
  return (
    <section class="resources panel">
      <h3>CPU and memory per service</h3>
      {caps.metrics ? (
        model.services.map((s) => <ServiceResources key={s} service={s} model={model} />)
      ) : (
        <p class="muted not-available">CPU and memory series: {caps.reasons.metrics}.</p>
      )}
    </section>
  );
}
