import { analyzeTraces, formatDuration, ordinal } from '../analysis/index.js';
import { ExerciseError } from './errors.js';
import { readTraces, sendOrders } from './lab.js';
import { round1 } from './figures.js';
import type { Exercise, ExerciseAnswer } from './types.js';

/** A utilisation as a factor: two decimals below 1 (0.04×, not 0×), one above. */
const times = (u: number) => `${u < 1 ? u.toFixed(2) : round1(u)}×`;

export const bottleneck: Exercise = {
  number: 3,
  title: 'Bottleneck identification',
  asked: [
    'Send 10 rapid requests (no delay between them)',
    'Observe the processing delays in subsequent requests',
    'Identify which service creates the bottleneck and why',
  ],
  does: "sends 10 orders at once, then reads the analysis' bottleneck: each consumer's service time against the arrival interval inside its busy periods, and how the queue wait grows in the stream's order",
  async run({ lab }): Promise<ExerciseAnswer> {
    const orders = await sendOrders(
      lab,
      { mode: 'burst', count: 10 },
      { item: 'exercise-3', quantity: 1 },
      '10 orders at once',
    );
    const traces = await readTraces(lab, orders);
    const report = analyzeTraces(traces);
    const table = [
      '  consumer              topic             service time p50  between arrivals  utilisation  verdict',
      ...report.consumers.map((c) => {
        const p = c.busyPeriods.worst;
        const every = p
          ? p.utilisation === null
            ? 0
            : (p.arrivalIntervalUs ?? 0)
          : c.arrivalIntervalUs;
        const u = p ? p.utilisation : c.utilisation;
        return `  ${c.service.padEnd(21)} ${c.topic.padEnd(17)} ${formatDuration(c.serviceTime.p50Us).padStart(16)}  ${formatDuration(every ?? 0).padStart(16)}  ${(u === null ? (c.verdict === 'saturated' ? 'unbounded' : 'n/a') : times(u)).padStart(11)}  ${c.verdict}`;
      }),
      "  (between arrivals and utilisation inside each consumer's worst busy period)",
    ];
    // The verdict is the analysis' own (report.bottleneck): the same as the headline, the
    // System view and `tracelab analyze`, never a pick of this exercise's.
    const b = report.bottleneck;
    if (!b) {
      if (report.consumers.length === 0) {
        throw new ExerciseError('EX_ERR_NO_DATA', 'the traces show no consumer with queue waits');
      }
      return {
        exercise: 3,
        title: bottleneck.title,
        asked: bottleneck.asked,
        answer: [`No bottleneck: ${report.headline.text}`, '', ...table],
        figures: { bottleneck: null, verdict: 'keeping up' },
        traces: { orders: traces },
      };
    }
    const c = report.consumers.find((x) => x.service === b.service && x.topic === b.topic)!;
    const p = b.period;
    const arrival = p.utilisation === null ? 0 : (p.arrivalIntervalUs ?? 0);
    const answer = [
      `${b.service} is the bottleneck: service time p50 ${formatDuration(c.serviceTime.p50Us)} against ${formatDuration(arrival)} between arrivals; ` +
        `the ${ordinal(p.last.position)} order waited ${formatDuration(p.last.waitUs)} in \`${b.topic}\` (the 1st ${formatDuration(p.first.waitUs)}).`,
      `Why: it takes ${b.instances > 1 ? `${b.instances} orders at a time` : 'one order at a time'}, and each takes longer than the gap to the next (utilisation ${p.utilisation === null ? 'unbounded: all at once' : times(p.utilisation)}), ` +
        `so every order waits for all the ones before it: head-of-line blocking, about ${formatDuration(p.growth.slopeUsPerRank)} more per place in the queue (places in the stream's own order).`,
      '',
      ...table,
      '',
      `Analysis headline: ${report.headline.text}`,
    ];
    return {
      exercise: 3,
      title: bottleneck.title,
      asked: bottleneck.asked,
      answer,
      figures: {
        bottleneck: b.service,
        topic: b.topic,
        serviceTimeP50Us: c.serviceTime.p50Us,
        arrivalIntervalUs: arrival,
        utilisation: p.utilisation,
        verdict: c.verdict,
        busyPeriodMessages: p.messages,
        lastRank: p.last.position,
        lastTraceId: p.last.traceID,
        lastWaitUs: p.last.waitUs,
        firstWaitUs: p.first.waitUs,
        slopeUsPerRank: p.growth.slopeUsPerRank,
      },
      traces: { orders: traces },
    };
  },
};
