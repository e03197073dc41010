import { analyzeTraces, formatDuration, ordinal } from '../analysis/index.js';
import { ORDER_SERVICES, PIPELINE_ORDER, SERVICES } from '../model/index.js';
import type { JaegerTrace } from '../model/index.js';
import { readTraces, sendOrders } from './lab.js';
import {
  childrenOf,
  serviceOf,
  spansNamed,
  tagOf,
  traceDurationUs,
  workloadSpans,
} from './figures.js';
import type { Exercise } from './types.js';

/** Each step of one trace with the workload it ran: `input_validation: json_processing (cpu_heavy, light)`. */
function stepsOf(trace: JaegerTrace): string[] {
  return PIPELINE_ORDER.map((kind) => {
    const def = SERVICES[kind];
    const steps = def.steps.map((step) => {
      const span = spansNamed(trace, step)[0];
      const work = span && childrenOf(trace, span).find((c) => tagOf(c, 'workload.operation'));
      return work
        ? `${step}: ${work.operationName} (${String(tagOf(work, 'workload.type'))}, ${String(tagOf(work, 'workload.intensity'))})`
        : `${step}: -`;
    });
    return `    ${def.serviceName.padEnd(21)} ${steps.join('; ')}`;
  });
}

/** The steps an order passes through: the queue pipeline's, and inventory's, which processing calls. */
const STEPS_PER_ORDER = ORDER_SERVICES.reduce((n, s) => n + s.steps.length, 0);

export const basicTracing: Exercise = {
  number: 1,
  title: 'Basic tracing',
  asked: [
    'Send 5 requests and find them in Jaeger',
    'Identify the complete trace flow for each request',
    'Note the different workload types that were executed',
  ],
  does: "sends 5 orders one a second, reads their 5 traces and lists each one's flow and workloads",
  async run({ lab }) {
    const orders = await sendOrders(
      lab,
      { mode: 'interval', count: 5, intervalMs: 1000 },
      { item: 'exercise-1', quantity: 1 },
      '5 orders, one a second',
    );
    const traces = await readTraces(lab, orders);
    const report = analyzeTraces(traces);
    const p = report.propagation;
    const services = PIPELINE_ORDER.map((k) => SERVICES[k].serviceName);
    const full = traces.filter((t) => {
      const seen = new Set(t.spans.map((s) => serviceOf(t, s)));
      return services.every((s) => seen.has(s));
    }).length;
    const byType: Record<string, number> = {};
    for (const t of traces) {
      for (const w of workloadSpans(t)) {
        const type = String(tagOf(w, 'workload.type'));
        byType[type] = (byType[type] ?? 0) + 1;
      }
    }
    const ops = report.resources.byOperation.map((r) => `${r.key} ×${r.count}`).join(', ');
    const answer = [
      `${orders.length} orders → ${traces.length} traces; ${full} of them cross all four services: ${services.join(' → ')}.`,
      `Propagation: ${p.splitOrders.length === 0 ? 'every order is one trace' : `${p.splitOrders.length} order(s) split over several traces`}, ${p.orphanSpans} orphan span(s), ${p.missingServices.length} trace(s) missing a service.`,
      '',
      ...traces.flatMap((t, i) => [
        `  ${ordinal(i + 1)} order  trace ${t.traceID}  ${t.spans.length} spans, ${formatDuration(traceDurationUs(t))} first span to last`,
        ...stepsOf(t),
      ]),
      '',
      `Workloads executed: ${ops}.`,
      `By type: ${Object.entries(byType)
        .map(([k, n]) => `${k} ${n}`)
        .join(
          ', ',
        )}; each step of an order (${STEPS_PER_ORDER}, inventory's among them) runs one, picked by the service's mix.`,
    ];
    return {
      exercise: 1,
      title: basicTracing.title,
      asked: basicTracing.asked,
      answer,
      figures: {
        orders: orders.length,
        traces: traces.length,
        fourServiceTraces: full,
        splitOrders: p.splitOrders.length,
        orphanSpans: p.orphanSpans,
        workloadSpans: report.resources.byOperation.reduce((n, r) => n + r.count, 0),
        cpuHeavySpans: byType.cpu_heavy ?? 0,
        ioHeavySpans: byType.io_heavy ?? 0,
      },
      traces: { orders: traces },
    };
  },
};
