/**
 * What precise span times cost: nanoseconds per stamp (what the PreciseSpanTimes processor
 * does to a span as it starts) and per clock reading (the span clock beside Date.now() and the
 * SDK's hrTime()), and per span started and ended through the real SDK with and without the
 * processor (the span is dropped at its end, so the figure is the SDK's own work). Rounds
 * alternate and the median is printed, because a shared machine drifts.
 *
 *   npm run bench:clock [-- SPANS]      (default 100000 spans a round)
 */
import { hrTime } from '@opentelemetry/core';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { clockNow } from '../src/telemetry/clock.js';
import { PreciseSpanTimes } from '../src/telemetry/precise-span-times.js';

const ROUNDS = 31;
const spans = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(spans) || spans < 1000) {
  throw new Error(`SPANS must be a whole number of at least 1000, got ${process.argv[2]}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Nanoseconds per call of `fn`, over `n` calls; the result is kept so the call is not elided. */
function perCall(n: number, fn: () => unknown): number {
  let sink: unknown;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (sink === Symbol.for('never')) process.stdout.write('');
  return ns;
}

/** A processor that keeps nothing: the SDK's cost without an exporter's. */
const keepNothing: SpanProcessor = {
  onStart() {},
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

const tracers = {
  'SDK default': new NodeTracerProvider({ spanProcessors: [keepNothing] }).getTracer('bench'),
  'precise times': new NodeTracerProvider({
    spanProcessors: [new PreciseSpanTimes(), keepNothing],
  }).getTracer('bench'),
};
type Way = keyof typeof tracers;

/** What the processor does to each span, on a real SDK span. */
const precise = new PreciseSpanTimes();
const stamped = tracers['SDK default'].startSpan('stamped') as unknown as Span;
const stamps = {
  'stamp (PreciseSpanTimes.onStart)': () => precise.onStart(stamped),
  'clockNow() (span clock)': () => clockNow(),
  'hrTime() (SDK)': () => hrTime(),
  'Date.now()': () => Date.now(),
};
type Stamp = keyof typeof stamps;

const stampNs = Object.fromEntries(Object.keys(stamps).map((k) => [k, []])) as unknown as Record<
  Stamp,
  number[]
>;
const spanNs: Record<Way, number[]> = { 'SDK default': [], 'precise times': [] };
const ways = Object.keys(tracers) as Way[];

// One warm-up round, not counted, so every way runs optimised.
for (let round = 0; round <= ROUNDS; round++) {
  for (const [name, fn] of Object.entries(stamps) as [Stamp, () => unknown][]) {
    const ns = perCall(spans * 5, fn);
    if (round > 0) stampNs[name].push(ns);
  }
  for (const way of round % 2 ? ways : [...ways].reverse()) {
    const tracer = tracers[way];
    const ns = perCall(spans, () => tracer.startSpan('work').end());
    if (round > 0) spanNs[way].push(ns);
  }
}

const line = (label: string, ns: number) =>
  console.log(`${label.padEnd(38)} ${ns.toFixed(1).padStart(8)} ns`);
console.log(`median of ${ROUNDS} rounds (${spans.toLocaleString('en-US')} spans a round)`);
console.log('\none stamp, one clock reading');
for (const name of Object.keys(stamps) as Stamp[]) line(name, median(stampNs[name]));
console.log('\none span started and ended');
for (const way of ways) line(way, median(spanNs[way]));
// Each round measured both ways back to back: the median of the rounds' differences.
const extra = median(spanNs['precise times'].map((ns, i) => ns - spanNs['SDK default'][i]!));
line('precise times cost a span (paired)', extra);
