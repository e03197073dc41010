import { analyzeTraces, formatDuration, ordinal } from '../analysis/index.js';
import { ExerciseError } from './errors.js';
import { readTraces, sendOrders } from './lab.js';
import { round1 } from './figures.js';
import type { Exercise } from './types.js';

export const bottleneck: Exercise = {
  number: 3,
  title: 'Bottleneck identification',
  asked: [
    'Send 10 rapid requests (no delay between them)',
    'Observe the processing delays in subsequent requests',
    'Identify which service creates the bottleneck and why',
  ],
  does: "sends 10 orders at once, then reads each consumer's service time against the arrival interval and how the queue wait grows",
  async run({ lab }) {
    const orders = await sendOrders(
      lab,
      { mode: 'burst', count: 10 },
      { item: 'exercise-3', quantity: 1 },
      '10 orders at once',
    );
    const traces = await readTraces(lab, orders);
    const report = analyzeTraces(traces);
    // The bottleneck is the busiest consumer: the highest utilisation (service time against
    // the time between arrivals).
    const consumers = [...report.consumers].sort(
      (a, b) => (b.utilisation ?? Infinity) - (a.utilisation ?? Infinity),
    );
    const worst = consumers[0];
    const hop =
      worst && report.hops.find((h) => h.toService === worst.service && h.topic === worst.topic);
    const last = hop?.growth.last;
    const first = hop?.growth.first;
    if (!worst || !hop || !last || !first) {
      throw new ExerciseError('EX_ERR_NO_DATA', 'the traces show no consumer with queue waits');
    }
    const arrival = worst.arrivalIntervalUs ?? 0;
    const answer = [
      `${worst.service} is the bottleneck: service time p50 ${formatDuration(worst.serviceTime.p50Us)} against ${formatDuration(arrival)} between arrivals; ` +
        `the ${ordinal(last.rank)} order waited ${formatDuration(last.waitUs)} in \`${hop.topic}\` (the 1st ${formatDuration(first.waitUs)}).`,
      `Why: it takes one order at a time, and each takes longer than the gap to the next (utilisation ${worst.utilisation === null ? 'n/a' : `${round1(worst.utilisation)}×`}), ` +
        `so every order waits for all the ones before it: head-of-line blocking, about ${formatDuration(hop.growth.slopeUsPerRank)} more per place in the queue.`,
      '',
      '  consumer              topic             service time p50  between arrivals  utilisation  verdict',
      ...consumers.map(
        (c) =>
          `  ${c.service.padEnd(21)} ${c.topic.padEnd(17)} ${formatDuration(c.serviceTime.p50Us).padStart(16)}  ${formatDuration(c.arrivalIntervalUs ?? 0).padStart(16)}  ${(c.utilisation === null ? 'n/a' : `${round1(c.utilisation)}×`).padStart(11)}  ${c.verdict}`,
      ),
      '',
      `Analysis headline: ${report.headline.text}`,
    ];
    return {
      exercise: 3,
      title: bottleneck.title,
      asked: bottleneck.asked,
      answer,
      figures: {
        bottleneck: worst.service,
        topic: hop.topic,
        serviceTimeP50Us: worst.serviceTime.p50Us,
        arrivalIntervalUs: arrival,
        utilisation: worst.utilisation,
        verdict: worst.verdict,
        lastRank: last.rank,
        lastTraceId: last.traceID,
        lastWaitUs: last.waitUs,
        firstWaitUs: first.waitUs,
        slopeUsPerRank: hop.growth.slopeUsPerRank,
      },
      traces: { orders: traces },
    };
  },
};
