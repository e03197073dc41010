import { formatDuration } from '../analysis/index.js';
import type { AnalysisReport, Finding, ReportComparison } from '../analysis/index.js';
import {
  consumerChangesTable,
  consumersTable,
  criticalPathTable,
  hopChangesTable,
  hopsTable,
  pathChangesTable,
  resourcesTable,
  stageChangesTable,
  stagesTable,
  statementsTable,
} from './analyze-tables.js';
import type { ReportTable } from './analyze-tables.js';
import { columns, formatTable } from './table.js';

const MARK: Record<Finding['severity'], string> = { critical: '!!', warning: '! ', info: '- ' };
/** Rows of wait-by-arrival shown in the terminal; the JSON and HTML have them all. */
const ARRIVAL_ROWS = 12;

const time = (us: number) => new Date(us / 1000).toISOString().slice(11, 19);

const text = (t: ReportTable) => formatTable(t.head, t.rows, columns(t.numeric[0], t.numeric[1]));
const section = (title: string, body: string) => `\n${title}\n${body}`;

/** `tracelab analyze` for a terminal: the headline first, then the tables behind it. */
export function formatReport(report: AnalysisReport): string {
  const out: string[] = [`${report.headline.text}\n`];
  const t = report.traces;
  if (t.count === 0) return out.join('');
  out.push(
    `\n${t.count} traces (${report.propagation.orderTraces} orders, ${t.spans} spans) from ${time(t.fromUs)} to ${time(t.toUs)} UTC` +
      (report.service ? `, service ${report.service}` : '') +
      (t.endToEnd.count
        ? `; order end to end p50 ${formatDuration(t.endToEnd.p50Us)}, p99 ${formatDuration(t.endToEnd.p99Us)}`
        : '') +
      '\n',
  );
  if (report.findings.length > 1) {
    out.push(
      section('Findings', report.findings.map((f) => `${MARK[f.severity]} ${f.text}\n`).join('')),
    );
  }
  if (report.consumers.length) {
    out.push(
      section(
        'Consumers (utilisation = service time / (time between arrivals × replicas); the worst busy period: from a message that found the queue empty until it drained)',
        text(consumersTable(report)),
      ),
    );
  }
  if (report.hops.length) {
    out.push(
      section('Queue wait per hop (consumer start − producer end)', text(hopsTable(report))),
    );
    out.push(...waitByArrivalSections(report));
  }
  out.push(section('Stages (duration)', text(stagesTable(report))));
  const db = report.database.statements;
  if (db.length) {
    out.push(
      section(
        `Database statements (${db.length}; the most time in all first${db.length > 15 ? ', 15 shown, all in --json' : ''})`,
        text(statementsTable(report)),
      ),
    );
  }
  const cp = report.criticalPath;
  if (cp.byStage.length) {
    out.push(
      section(
        `Critical path over ${cp.traces.length} traces: what dominates`,
        text(criticalPathTable(report)),
      ),
    );
  }
  if (report.resources.byOperation.length) {
    out.push(
      section(
        'Resources by operation (workload spans)',
        text(resourcesTable(report.resources.byOperation, 'OPERATION')),
      ),
    );
  }
  if (report.resources.byIntensity.length) {
    out.push(
      section(
        'Resources by intensity',
        text(resourcesTable(report.resources.byIntensity, 'INTENSITY')),
      ),
    );
  }
  const p = report.propagation;
  out.push(
    section(
      'Propagation',
      `${p.orderTraces} order traces; ${p.splitOrders.length} orders split over several traces; ` +
        `${p.orphanSpans} orphan spans; ${p.missingServices.length} traces missing a service ` +
        `(expected: ${p.expectedServices.join(', ') || '-'})\n` +
        p.brokenHops
          .slice(0, 3)
          .map((h) => `  context lost at ${h.from} → ${h.to}: ${h.orders} order(s)\n`)
          .join('') +
        p.splitOrders
          .slice(0, 5)
          .map((o) => `  order ${o.orderId}: traces ${o.traceIDs.join(', ')}\n`)
          .join(''),
    ),
  );
  if (report.warnings.total) {
    out.push(
      section(
        `Warnings (${report.warnings.total})`,
        report.warnings.samples
          .slice(0, 5)
          .map((w) => `  ${w.code}: ${w.message}\n`)
          .join('') + (report.warnings.total > 5 ? `  … (all in --json)\n` : ''),
      ),
    );
  }
  return out.join('');
}

/** The wait in each hop that queued (growing, or into a saturated consumer), by arrival order. */
function waitByArrivalSections(report: AnalysisReport): string[] {
  const sections: string[] = [];
  const queued = (h: (typeof report.hops)[number]) =>
    h.growth.growing ||
    report.consumers.some(
      (c) => c.service === h.toService && c.topic === h.topic && c.verdict === 'saturated',
    );
  for (const h of report.hops.filter(queued)) {
    const pts = h.byArrival;
    const step = Math.max(1, Math.ceil(pts.length / ARRIVAL_ROWS));
    const shown = pts.filter((_, i) => i % step === 0 || i === pts.length - 1);
    sections.push(
      section(
        `Wait in ${h.topic} by arrival order${h.orderedBy === 'bus' ? (h.partitions > 1 ? ' (per partition, by offset)' : ' (by stream entry id)') : ' (by publish time: the spans carry no bus position)'}`,
        formatTable(
          h.partitions > 1
            ? ['PARTITION', 'ARRIVAL', 'WAIT', 'TRACE']
            : ['ARRIVAL', 'WAIT', 'TRACE'],
          shown.map((p) => [
            ...(h.partitions > 1 ? [p.partition ?? ''] : []),
            String(p.rank),
            formatDuration(p.waitUs),
            p.traceID,
          ]),
          h.partitions > 1 ? columns(1, 2) : columns(0, 1),
        ),
      ),
    );
  }
  return sections;
}

/** `analyze --compare`: what got faster or slower against the base. */
export function formatComparison(c: ReportComparison, baseName: string): string {
  const out: string[] = [`\nCompared with ${baseName}: ${c.headline.text}\n`];
  if (c.pathChanges.length) {
    out.push(
      section(
        'Critical path (mean time a trace spent there), largest change first',
        text(pathChangesTable(c)),
      ),
    );
  }
  if (c.hops.length) out.push(section('Queue wait (mean)', text(hopChangesTable(c))));
  out.push(section('Stages (p50)', text(stageChangesTable(c))));
  if (c.consumers.length) out.push(section('Consumers', text(consumerChangesTable(c))));
  return out.join('');
}
