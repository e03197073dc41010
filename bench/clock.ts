/**
 * What precise span times cost: nanoseconds per stamp (what the PreciseSpanTimes processor
 * does to a span as it starts) and per clock reading (the span clock beside Date.now() and the
 * SDK's hrTime()), and per span started and ended through the real SDK with and without the
 * processor (the span is dropped at its end, so the figure is the SDK's own work). Rounds
 * alternate and the median is printed, because a shared machine drifts. Then how far apart
 * two processes' span clocks are, and the span clock from Date.now().
 *
 *   npm run bench:clock [-- SPANS]      (default 100000 spans a round)
 */
import { fork } from 'node:child_process';
import { hrTime } from '@opentelemetry/core';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { clockNow, hrTimeAt, hrTimeToMicros } from '../src/telemetry/clock.js';
import { PreciseSpanTimes } from '../src/telemetry/precise-span-times.js';

const ROUNDS = 31;
const TRIPS = 500;
const CHILDREN = 5;

const nowUs = () => hrTimeToMicros(clockNow());

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

async function main(): Promise<void> {
  const spans = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(spans) || spans < 1000) {
    throw new Error(`SPANS must be a whole number of at least 1000, got ${process.argv[2]}`);
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

  await crossProcess();
}

/** Both clocks a process could stamp spans with, read at once, in µs since the epoch. */
const bothClocks = (): [number, number] => {
  const p = performance.now();
  return [hrTimeToMicros(hrTimeAt(p)), (performance.timeOrigin + p) * 1000];
};

/**
 * Two processes' clocks, compared as NTP does: the parent pings a child that answers with its
 * clocks; over many round trips the smallest parent→child and child→parent gaps give the
 * offset between the two, (there − back) / 2, to within half their asymmetry. A new child (a
 * new anchor) each time; the span clock beside `performance.timeOrigin + performance.now()`.
 */
async function pingChild(): Promise<{ offset: number[]; there: number[]; back: number[] }> {
  const child = fork(__filename, ['echo'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const there = [Infinity, Infinity];
  const back = [Infinity, Infinity];
  for (let i = 0; i < TRIPS; i++) {
    const sent = bothClocks();
    const theirs = await new Promise<[number, number]>((resolve) => {
      child.once('message', (m) => resolve(m as [number, number]));
      child.send('ping');
    });
    const received = bothClocks();
    for (const k of [0, 1]) {
      there[k] = Math.min(there[k]!, theirs[k]! - sent[k]!);
      back[k] = Math.min(back[k]!, received[k]! - theirs[k]!);
    }
  }
  child.kill();
  return { offset: [0, 1].map((k) => (there[k]! - back[k]!) / 2), there, back };
}

async function crossProcess(): Promise<void> {
  console.log(`\ntwo processes' clocks: offset child − parent (${TRIPS} round trips each)`);
  console.log(`${''.padEnd(20)} ${'span clock'.padStart(12)} ${'timeOrigin + now()'.padStart(20)}`);
  for (let i = 0; i < CHILDREN; i++) {
    const { offset } = await pingChild();
    console.log(
      `${`child ${i + 1}`.padEnd(20)} ${`${offset[0]!.toFixed(1)} µs`.padStart(12)} ${`${offset[1]!.toFixed(1)} µs`.padStart(20)}`,
    );
  }
  // At a Date.now() tick the true wall time is that millisecond: how far the span clock is off.
  const offsets: number[] = [];
  for (let i = 0; i < 20; i++) {
    const d = Date.now();
    let n: number;
    while ((n = Date.now()) === d);
    offsets.push(nowUs() - n * 1000);
  }
  console.log(
    `${'span clock − Date.now() at its tick'.padEnd(38)} ${Math.min(...offsets)
      .toFixed(1)
      .padStart(8)} µs`,
  );
}

// The other process of the cross-process check: answers each ping with its clock.
if (process.argv[2] === 'echo') {
  process.on('message', () => process.send!(bothClocks()));
} else {
  void main();
}
