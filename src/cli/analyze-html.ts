import { busiestUtilisation, formatChange, formatDuration, ordinal } from '../analysis/index.js';
import {
  consumersTable,
  criticalPathTable,
  hopsTable,
  pathChangesTable,
  resourcesTable,
  stageChangesTable,
  stagesTable,
  statementsTable,
} from './analyze-tables.js';
import type { ReportTable } from './analyze-tables.js';
import type {
  AnalysisReport,
  CriticalPathSegment,
  HopStats,
  ReportComparison,
} from '../analysis/index.js';

/**
 * `analyze --html`: the report as one self-contained page. Charts are inline SVG drawn here
 * (no script, no CDN), so the file opens anywhere, offline, and can be mailed around.
 */
export interface HtmlOptions {
  readonly title: string;
  readonly comparison?: ReportComparison | undefined;
  readonly baseName?: string;
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Inline code spans (`x`) of a finding's text as <code>. */
const prose = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

const SERVICE_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#e15759',
  '#76b7b2',
  '#edc948',
];

function colourOf(service: string, all: readonly string[]): string {
  const i = all.indexOf(service);
  return SERVICE_COLOURS[(i < 0 ? all.length : i) % SERVICE_COLOURS.length]!;
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly colour?: string;
  /** A second, thinner mark (e.g. p99 beside p50). */
  readonly whisker?: number;
}

/** Horizontal bars, one per row, with a value label; `marker` draws a vertical reference line. */
function barChart(
  bars: readonly Bar[],
  opts: { marker?: { at: number; label: string } } = {},
): string {
  if (bars.length === 0) return '';
  const labelW = 380;
  const chartW = 420;
  const rowH = 22;
  const max =
    Math.max(...bars.map((b) => Math.max(b.value, b.whisker ?? 0)), opts.marker?.at ?? 0) || 1;
  const x = (v: number) => labelW + (v / max) * chartW;
  const h = bars.length * rowH + 24;
  const rows = bars
    .map((b, i) => {
      const y = 8 + i * rowH;
      const w = Math.max(1, x(b.value) - labelW);
      const whisker =
        b.whisker !== undefined && b.whisker > b.value
          ? `<line x1="${x(b.value)}" x2="${x(b.whisker)}" y1="${y + 8}" y2="${y + 8}" stroke="#555" stroke-width="2"/>` +
            `<line x1="${x(b.whisker)}" x2="${x(b.whisker)}" y1="${y + 3}" y2="${y + 13}" stroke="#555" stroke-width="2"/>`
          : '';
      return (
        `<text x="${labelW - 8}" y="${y + 12}" text-anchor="end">${esc(b.label.length > 56 ? `${b.label.slice(0, 55)}…` : b.label)}</text>` +
        `<rect x="${labelW}" y="${y}" width="${w}" height="16" fill="${b.colour ?? '#4e79a7'}"><title>${esc(`${b.label}: ${b.text}`)}</title></rect>` +
        whisker +
        `<text x="${Math.max(x(b.value), b.whisker !== undefined ? x(b.whisker) : 0) + 6}" y="${y + 12}">${esc(b.text)}</text>`
      );
    })
    .join('');
  const marker = opts.marker
    ? `<line x1="${x(opts.marker.at)}" x2="${x(opts.marker.at)}" y1="0" y2="${h - 16}" stroke="#e15759" stroke-dasharray="4 3"/>` +
      `<text x="${x(opts.marker.at) + 4}" y="${h - 4}" fill="#e15759">${esc(opts.marker.label)}</text>`
    : '';
  return `<svg viewBox="0 0 ${labelW + chartW + 120} ${h}" width="100%" role="img">${rows}${marker}</svg>`;
}

/** Wait against arrival order: the head-of-line blocking picture. */
function arrivalChart(hop: HopStats, colour: string): string {
  const pts = hop.byArrival;
  if (pts.length < 2) return '';
  const W = 760;
  const H = 240;
  const L = 70;
  const B = 30;
  const maxRank = pts[pts.length - 1]!.rank;
  const maxWait = Math.max(...pts.map((p) => p.waitUs)) || 1;
  const x = (r: number) => L + ((r - 1) / Math.max(1, maxRank - 1)) * (W - L - 20);
  const y = (w: number) => H - B - (w / maxWait) * (H - B - 10);
  const line = pts.map((p) => `${x(p.rank).toFixed(1)},${y(p.waitUs).toFixed(1)}`).join(' ');
  const dots =
    pts.length <= 200
      ? pts
          .map(
            (p) =>
              `<circle cx="${x(p.rank).toFixed(1)}" cy="${y(p.waitUs).toFixed(1)}" r="3.5" fill="${colour}"><title>${esc(`order ${p.rank}: waited ${formatDuration(p.waitUs)} (trace ${p.traceID})`)}</title></circle>`,
          )
          .join('')
      : '';
  const ticks = [0, 0.5, 1]
    .map(
      (f) =>
        `<text x="${L - 6}" y="${y(maxWait * f) + 4}" text-anchor="end">${esc(formatDuration(maxWait * f))}</text>` +
        `<line x1="${L}" x2="${W - 20}" y1="${y(maxWait * f)}" y2="${y(maxWait * f)}" stroke="#ddd"/>`,
    )
    .join('');
  return (
    `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img">${ticks}` +
    `<polyline points="${line}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}` +
    `<text x="${L}" y="${H - 8}">1st</text><text x="${W - 20}" y="${H - 8}" text-anchor="end">${ordinal(maxRank)} order to arrive</text></svg>`
  );
}

/** One trace's critical path as a strip: services in colour, queue waits hatched. */
function pathStrip(segments: readonly CriticalPathSegment[], services: readonly string[]): string {
  if (segments.length === 0) return '';
  const W = 760;
  const start = segments[0]!.startUs;
  const total = segments[segments.length - 1]!.endUs - start || 1;
  const x = (us: number) => ((us - start) / total) * W;
  const rects = segments
    .map((s) => {
      const fill = s.kind === 'queue' ? 'url(#hatch)' : colourOf(s.serviceName, services);
      const label = `${s.kind === 'queue' ? `waiting in ${s.topic ?? 'queue'} for ` : ''}${s.serviceName} ${s.operationName}: ${formatDuration(s.endUs - s.startUs)}`;
      return `<rect x="${x(s.startUs).toFixed(2)}" y="0" width="${Math.max(0.5, x(s.endUs) - x(s.startUs)).toFixed(2)}" height="28" fill="${fill}"><title>${esc(label)}</title></rect>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} 28" width="100%" role="img"><defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#e15759" stroke-width="3"/></pattern></defs>${rects}</svg>`;
}

function table({ head, rows }: ReportTable): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderHtmlReport(report: AnalysisReport, opts: HtmlOptions): string {
  const services = [...new Set(report.stages.map((s) => s.service))].sort();
  const parts: string[] = [];
  parts.push(`<h1>${esc(opts.title)}</h1>`);
  parts.push(
    `<p class="headline sev-${report.headline.severity}">${prose(report.headline.text)}</p>`,
  );
  const t = report.traces;
  parts.push(
    `<p class="meta">${t.count} traces, ${report.propagation.orderTraces} orders, ${t.spans} spans` +
      (t.count
        ? `, ${esc(new Date(t.fromUs / 1000).toISOString())} to ${esc(new Date(t.toUs / 1000).toISOString())}`
        : '') +
      (t.endToEnd.count
        ? `; order end to end p50 ${esc(formatDuration(t.endToEnd.p50Us))}, p99 ${esc(formatDuration(t.endToEnd.p99Us))}`
        : '') +
      `</p>`,
  );
  if (report.findings.length > 1) {
    parts.push(
      `<h2>Findings</h2><ul class="findings">${report.findings
        .map((f) => `<li class="sev-${f.severity}">${prose(f.text)}</li>`)
        .join('')}</ul>`,
    );
  }

  if (opts.comparison) parts.push(...comparisonParts(opts.comparison, opts.baseName));

  if (report.consumers.length) {
    const bars: Bar[] = report.consumers.map((c) => {
      const u = busiestUtilisation(c);
      return {
        label: `${c.service} (${c.topic})`,
        value: u ?? (c.verdict === 'saturated' ? 10 : 0),
        text: `${u === null ? (c.verdict === 'saturated' ? 'unbounded' : 'n/a') : u.toFixed(2)}: ${c.verdict}`,
        colour: c.verdict === 'saturated' ? '#e15759' : '#59a14f',
      };
    });
    parts.push(
      `<h2>Consumers</h2><p>Utilisation = service time ÷ (time between arrivals × replicas), inside each consumer's worst busy period (from a message that found the queue empty until it drained), where bursts are not averaged with the quiet between them. Above 1 the consumer cannot keep up and messages queue.</p>` +
        barChart(bars, { marker: { at: 1, label: 'saturation' } }) +
        table(consumersTable(report)),
    );
  }

  if (report.hops.length) {
    parts.push(
      `<h2>Queue wait per hop</h2><p>Consumer span start − producer span end: the time a message sat in the queue.</p>`,
    );
    parts.push(table(hopsTable(report)));
    for (const h of report.hops.filter((x) => x.byArrival.length >= 2 && x.wait.maxUs > 0)) {
      parts.push(
        `<h3>Wait in <code>${esc(h.topic)}</code> by arrival order${h.growth.growing ? ': head-of-line blocking' : ''}</h3>` +
          arrivalChart(h, colourOf(h.toService, services)),
      );
    }
  }

  parts.push(...criticalPathParts(report, services));

  parts.push(
    `<h2>Stages</h2>` +
      barChart(
        [...report.stages]
          .sort((a, b) => b.duration.p50Us - a.duration.p50Us)
          .slice(0, 15)
          .map((s) => ({
            label: `${s.service} ${s.operation}`,
            value: s.duration.p50Us,
            whisker: s.duration.p99Us,
            text: `p50 ${formatDuration(s.duration.p50Us)}, p99 ${formatDuration(s.duration.p99Us)}`,
            colour: colourOf(s.service, services),
          })),
      ) +
      table(stagesTable(report)),
  );

  if (report.database.statements.length) {
    parts.push(
      `<h2>Database statements</h2><p>Each statement (its parameterised text) as one service runs it, the most time in all first; rows: the mean number returned.</p>` +
        table(statementsTable(report, 400, 50)),
    );
  }

  parts.push(...resourcesParts(report));

  const p = report.propagation;
  parts.push(
    `<h2>Propagation</h2><p>${p.orderTraces} order traces; ${p.splitOrders.length} orders split over several traces; ${p.orphanSpans} orphan spans; ${p.missingServices.length} traces missing a service (expected: ${esc(p.expectedServices.join(', '))}).</p>` +
      (p.splitOrders.length
        ? table({
            head: ['ORDER', 'TRACES'],
            rows: p.splitOrders.slice(0, 50).map((o) => [o.orderId, o.traceIDs.join(', ')]),
            numeric: [1, 0],
          })
        : ''),
  );
  if (report.warnings.total) {
    parts.push(
      `<h2>Warnings (${report.warnings.total})</h2><ul>${report.warnings.samples
        .map((w) => `<li><code>${esc(w.code)}</code> ${esc(w.message)}</li>`)
        .join('')}</ul>`,
    );
  }

  return page(opts.title, parts);
}

/** `--compare` or `--baseline-since`: what changed against the base. */
function comparisonParts(c: ReportComparison, baseName: string | undefined): string[] {
  const parts: string[] = [];
  parts.push(
    `<h2>Compared with ${esc(baseName ?? 'the base')}</h2><p class="headline">${prose(c.headline.text)}</p>`,
  );
  if (c.pathChanges.length) {
    parts.push(
      `<h3>Critical path (mean time a trace spent there), largest change first</h3>${table(pathChangesTable(c))}`,
    );
  }
  const hopBars: Bar[] = c.hops.flatMap((h) => [
    {
      label: `${h.topic} before`,
      value: h.baseMeanUs ?? 0,
      text: formatDuration(h.baseMeanUs ?? 0),
      colour: '#bab0ac',
    },
    {
      label: `${h.topic} now`,
      value: h.nextMeanUs ?? 0,
      text: `${formatDuration(h.nextMeanUs ?? 0)}, ${formatChange(h.baseMeanUs ?? 0, h.nextMeanUs ?? 0)}`,
      colour: h.verdict === 'faster' ? '#59a14f' : h.verdict === 'slower' ? '#e15759' : '#4e79a7',
    },
  ]);
  parts.push(`<h3>Mean queue wait</h3>${barChart(hopBars)}`);
  parts.push(table(stageChangesTable(c)));
  return parts;
}

/** Where the orders' time went: the critical path's stages, and the slowest trace's path. */
function criticalPathParts(report: AnalysisReport, services: readonly string[]): string[] {
  const parts: string[] = [];
  const cp = report.criticalPath;
  if (cp.byStage.length) {
    parts.push(
      `<h2>Critical path</h2><p>What each order's end-to-end time was spent on, across the queues. Bars: share of all critical-path time; in brackets, in how many traces the stage was the largest part.</p>` +
        barChart(
          cp.byStage.slice(0, 12).map((p) => ({
            label: `${p.service} ${p.operation}`,
            value: p.share * 100,
            text: `${(p.share * 100).toFixed(1)} % (${p.dominatesTraces}/${cp.traces.length})`,
            colour: p.kind === 'queue' ? '#e15759' : colourOf(p.service, services),
          })),
        ) +
        table(criticalPathTable(report)),
    );
    const slowest = [...cp.traces]
      .filter((x) => x.segments.length)
      .sort((a, b) => b.durationUs - a.durationUs)[0];
    if (slowest) {
      parts.push(
        `<h3>Slowest trace ${esc(slowest.traceID)} (${esc(formatDuration(slowest.durationUs))}), its critical path</h3>` +
          pathStrip(slowest.segments, services) +
          `<p class="legend">${services
            .map((s) => `<span style="background:${colourOf(s, services)}"></span>${esc(s)}`)
            .join(' ')} <span class="hatch"></span>waiting in a queue</p>`,
      );
    }
  }
  return parts;
}

/** CPU and duration by workload operation and by intensity. */
function resourcesParts(report: AnalysisReport): string[] {
  const parts: string[] = [];
  const res = report.resources;
  if (res.byOperation.length) {
    parts.push(
      `<h2>Resources by operation</h2><p>CPU in % of one core: above 100 % the work used more than one core.</p>` +
        barChart(
          res.byOperation.map((r) => ({
            label: r.key,
            value: r.cpuAvg ?? 0,
            whisker: r.cpuMax ?? 0,
            text: `avg ${r.cpuAvg ?? '-'} %, max ${r.cpuMax ?? '-'} %`,
          })),
          { marker: { at: 100, label: 'one core' } },
        ) +
        table(resourcesTable(res.byOperation, 'OPERATION')),
    );
  }
  if (res.byIntensity.length) {
    parts.push(
      `<h2>Light, medium, heavy, severe</h2>` +
        barChart(
          res.byIntensity.map((r) => ({
            label: r.key,
            value: r.duration.p50Us,
            whisker: r.duration.p99Us,
            text: `p50 ${formatDuration(r.duration.p50Us)}, CPU ${r.cpuAvg ?? '-'} %`,
          })),
        ) +
        table(resourcesTable(res.byIntensity, 'INTENSITY')),
    );
  }
  return parts;
}

/** The report's parts in one page, its style inline: a file that opens anywhere. */
function page(title: string, parts: readonly string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}
.headline{font-size:16px;padding:10px 14px;background:#f4f6fa;border-left:4px solid #4e79a7}
.headline.sev-critical{border-color:#e15759}.headline.sev-warning{border-color:#edc948}
.meta{color:#666}ul.findings li.sev-critical{color:#b3261e}ul.findings li.sev-warning{color:#8a6d00}
table{border-collapse:collapse;margin:8px 0;font-size:12.5px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
td:not(:first-child){font-variant-numeric:tabular-nums}
svg{font:12px system-ui,sans-serif;margin:6px 0}code{background:#f2f2f2;padding:0 3px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}
.legend .hatch{background:repeating-linear-gradient(45deg,#e15759 0 3px,#fff 3px 6px)}
</style></head><body>
${parts.join('\n')}
</body></html>
`;
}
