import { useRef } from 'preact/hooks';
import { useWidth } from '../hooks.js';
import { formatClock, formatDuration } from '../model/format.js';
import type { TraceSummary } from '../model/trace.js';
import { navigate } from '../router.js';

const HEIGHT = 180;
const PAD = { left: 64, right: 16, top: 12, bottom: 28 };

/** Trace duration over time, one dot per trace; a click opens the trace. */
export function Scatter({ traces }: { traces: readonly TraceSummary[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref);
  if (traces.length === 0) return <div ref={ref} class="scatter empty" />;
  // At least ten seconds across, and a margin each side, so no dot sits on the frame.
  const first = Math.min(...traces.map((t) => t.startUs));
  const last = Math.max(...traces.map((t) => t.startUs));
  const pad = Math.max(5_000_000 - (last - first) / 2, (last - first) * 0.04);
  const t0 = first - pad;
  const t1 = last + pad;
  const maxD = Math.max(...traces.map((t) => t.durationUs)) * 1.1 || 1;
  const span = t1 - t0 || 1;
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (us: number) =>
    PAD.left + (traces.length === 1 ? plotW / 2 : ((us - t0) / span) * plotW);
  const y = (us: number) => PAD.top + plotH - (us / maxD) * plotH;
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxD);
  const xTicks = [0.05, 0.275, 0.5, 0.725, 0.95].map((f) => t0 + f * span);
  return (
    <div ref={ref} class="scatter">
      <svg width={width} height={HEIGHT} role="img" aria-label="trace duration over time">
        {yTicks.map((d) => (
          <g key={`y${d}`}>
            <line class="grid" x1={PAD.left} x2={width - PAD.right} y1={y(d)} y2={y(d)} />
            <text class="axis" x={PAD.left - 6} y={y(d) + 4} text-anchor="end">
              {formatDuration(d)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} class="axis" x={x(t)} y={HEIGHT - 8} text-anchor="middle">
            {formatClock(t).slice(0, span < 20_000_000 ? 10 : 8)}
          </text>
        ))}
        {traces.map((t) => (
          <circle
            key={t.traceID}
            class={t.errorCount > 0 ? 'dot error' : 'dot'}
            data-trace-id={t.traceID}
            cx={x(t.startUs)}
            cy={y(t.durationUs)}
            r={Math.min(10, 4 + Math.sqrt(t.spanCount) / 3)}
            onClick={() => navigate(`/trace/${t.traceID}`)}
          >
            <title>{`${t.rootName}\n${formatDuration(t.durationUs)} · ${t.spanCount} spans`}</title>
          </circle>
        ))}
      </svg>
    </div>
  );
}
