import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatDuration, formatPercent } from '../../src/analysis/index.js';
import { runCli } from '../helpers/cli.js';
import { parentOf, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerSpan, JaegerTrace } from '../helpers/jaeger.js';
import { REDIS_URL } from '../helpers/redis.js';
import { startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

interface Answer {
  exercise: number;
  answer: string[];
  figures: Record<string, number | string | boolean | null>;
  traces: Record<string, string[]>;
}

/** `tracelab exercise N --json`, its traces saved; the answer printed for the log. */
async function exercise(
  n: number,
  dir: string,
  args: readonly string[],
): Promise<{ answer: Answer; traces: (set?: string) => Promise<JaegerTrace[]> }> {
  const r = await runCli(['exercise', String(n), '--json', '--save-traces', dir, ...args], {
    timeoutMs: 600_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as Answer;
  console.log(`exercise ${n}:\n${answer.answer.join('\n')}`);
  const sets = Object.keys(answer.traces);
  return {
    answer,
    traces: async (set?: string) => {
      const name = sets.length > 1 ? `exercise-${n}-${set}.json` : `exercise-${n}.json`;
      const file = JSON.parse(await readFile(join(dir, name), 'utf8')) as { data: JaegerTrace[] };
      assert.deepEqual(
        file.data.map((t) => t.traceID),
        answer.traces[set ?? sets[0]!],
      );
      return file.data;
    },
  };
}

const named = (t: JaegerTrace, name: string) => t.spans.filter((s) => s.operationName === name);
const workloads = (ts: JaegerTrace[]) =>
  ts.flatMap((t) => t.spans.filter((s) => tag(s, 'workload.operation') !== undefined));
const num = (s: JaegerSpan, k: string) => Number(tag(s, k));
/**
 * Mean CPU of the spans long enough to measure (null when none was), after checking every
 * span: a CPU figure within the cores, or `resource.cpu.measured` false and no figure.
 */
function meanCpu(spans: JaegerSpan[], key = 'resource.cpu.avg'): number | null {
  for (const s of spans) {
    if (tag(s, 'resource.cpu.measured') === false) {
      assert.equal(tag(s, key), undefined, `${s.operationName}: a figure on an unmeasured span`);
    } else {
      const v = num(s, key);
      assert.ok(v >= 0 && v <= availableParallelism() * 100, `${s.operationName}: ${v} %`);
    }
  }
  const measured = spans.filter((s) => tag(s, 'resource.cpu.measured') !== false);
  return measured.length ? round1(mean(measured.map((s) => num(s, key)))) : null;
}
const maxCpu = (spans: JaegerSpan[]): number | null => {
  const values = spans.flatMap((s) =>
    tag(s, 'resource.cpu.max') === undefined ? [] : [num(s, 'resource.cpu.max')],
  );
  return values.length ? Math.max(...values) : null;
};
/** Nearest-rank p50, as the analysis reads percentiles. */
function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round1 = (x: number) => Math.round(x * 10) / 10;
// Figures such as "+3.9 %" hold regex metacharacters.
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The order's wait in `orders`: its consumer span's start after its producer span's end. */
function waitInOrders(t: JaegerTrace): number {
  const consumer = named(t, 'process orders')[0]!;
  const producer = parentOf(t, consumer)!;
  assert.equal(producer.operationName, 'send orders');
  return Math.max(0, consumer.startTime - (producer.startTime + producer.duration));
}

describe('the exercises against a running lab (scaled-down work)', () => {
  let sys: RunningSystem;
  let dir: string;
  let lab: string[];
  before(async () => {
    sys = await startSystem();
    dir = await mkdtemp(join(tmpdir(), 'tracelab-exercise-'));
    lab = ['--api-url', sys.apiUrl, '--url', sys.queryUrl, '--settle', '2m'];
  });
  after(async () => {
    await sys?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('--list names all six; a bad number is refused', async () => {
    const list = await runCli(['exercise', '--list']);
    assert.equal(list.code, 0);
    for (const title of [
      'Basic tracing',
      'Performance comparison',
      'Bottleneck identification',
      'Resource correlation',
      'Severe workload analysis',
      'System scaling design',
    ]) {
      assert.match(list.stdout, new RegExp(title));
    }
    const bad = await runCli(['exercise', '7']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no exercise "7": give a number from 1 to 6/);
  });

  test('1: five orders, five four-service traces, their workloads counted', async () => {
    const { answer, traces } = await exercise(1, dir, lab);
    const ts = await traces();
    assert.equal(ts.length, 5);
    assert.equal(answer.figures.orders, 5);
    assert.equal(answer.figures.fourServiceTraces, 5);
    assert.equal(answer.figures.splitOrders, 0);
    // The four of the queue pipeline, and inventory, which processing calls.
    for (const t of ts) {
      assert.equal(new Set(t.spans.map((s) => serviceOf(t, s))).size, 5);
    }
    const w = workloads(ts);
    assert.equal(answer.figures.workloadSpans, w.length);
    assert.equal(w.length, 35, 'seven steps an order, stock_check among them');
    assert.equal(
      answer.figures.cpuHeavySpans,
      w.filter((s) => tag(s, 'workload.type') === 'cpu_heavy').length,
    );
    assert.match(answer.answer[0]!, /^5 orders → 5 traces; 5 of them cross all four services/);
  });

  test('2: light against heavy, figures as the workload spans say', async () => {
    const { answer, traces } = await exercise(2, dir, lab);
    const all = [...(await traces('light')), ...(await traces('heavy'))];
    const w = workloads(all);
    for (const level of ['light', 'heavy']) {
      const spans = w.filter((s) => tag(s, 'workload.intensity') === level);
      assert.equal(spans.length, 21, `3 orders × 7 steps ${level}`);
      assert.equal(answer.figures[`${level}P50Us`], p50(spans.map((s) => s.duration)));
      assert.equal(answer.figures[`${level}CpuAvg`], meanCpu(spans));
    }
    assert.ok(Number(answer.figures.heavyP50Us) > Number(answer.figures.lightP50Us));
  });

  test('3: ten orders at once name the bottleneck, with its service time and the last wait', async () => {
    const { answer, traces } = await exercise(3, dir, lab);
    const ts = await traces();
    const f = answer.figures;
    assert.equal(f.lastRank, 10);
    assert.equal(f.bottleneck, 'processing-service');
    const serviceTimes = ts.map((t) => named(t, 'process orders')[0]!.duration);
    assert.equal(f.serviceTimeP50Us, p50(serviceTimes));
    const last = ts.find((t) => t.traceID === f.lastTraceId)!;
    assert.equal(f.lastWaitUs, waitInOrders(last));
    // The last order published waited longest, or nearly: it queued behind the nine others.
    assert.ok(Number(f.lastWaitUs) >= 0.5 * Math.max(...ts.map(waitInOrders)));
    assert.match(
      answer.answer[0]!,
      /^processing-service is the bottleneck: service time p50 \S+ m?s against \S+ \S+ between arrivals; the 10th order waited \S+ \S+ in `orders`/,
    );
  });

  test('4: intensive_prime_computation against json_processing, CPU as the spans say', async () => {
    const { answer, traces } = await exercise(4, dir, lab);
    const w = workloads([...(await traces('heavy')), ...(await traces('light'))]);
    const prime = w.filter((s) => s.operationName === 'intensive_prime_computation');
    const json = w.filter((s) => s.operationName === 'json_processing');
    assert.ok(prime.length > 0 && json.length > 0);
    assert.equal(answer.figures.primeSpans, prime.length);
    assert.equal(answer.figures.primeCpuAvg, meanCpu(prime));
    assert.equal(answer.figures.primeCpuMax, maxCpu(prime));
    assert.equal(answer.figures.jsonCpuAvg, meanCpu(json));
    // Light work runs on the service's main thread alone: one core at most.
    for (const s of json) {
      if (tag(s, 'resource.cpu.measured') !== false) assert.ok(num(s, 'resource.cpu.avg') <= 100);
    }
  });

  test('5: a forced severe order, what it cost and how long the next ones waited', async () => {
    const { answer, traces } = await exercise(5, dir, lab);
    const [severe] = await traces('severe');
    const followers = await traces('followers');
    const f = answer.figures;
    assert.equal(f.severeTraceId, severe!.traceID);
    for (const s of workloads([severe!])) assert.equal(tag(s, 'workload.intensity'), 'severe');
    assert.equal(f.severeProcessingUs, named(severe!, 'process_order')[0]!.duration);
    assert.equal(f.severeCpuMax, maxCpu(workloads([severe!])));
    assert.equal(followers.length, 4);
    const waits = followers.map(waitInOrders);
    assert.ok(Math.abs(Number(f.followersMeanWaitUs) - mean(waits)) < 1);
    assert.equal(f.followersMaxWaitUs, Math.max(...waits));
  });
});

describe('exercise 6 starts its own labs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracelab-exercise-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('6: one processing replica against two, the wait measured in both', async () => {
    const { answer, traces } = await exercise(6, dir, [
      '--redis-url',
      REDIS_URL,
      // Heavy orders still take far longer than a hop at 0.05, so the burst queues in front
      // of one replica and is shared by two.
      '--workload-scale',
      '0.05',
      '--seed',
      '42',
      '--settle',
      '3m',
    ]);
    const f = answer.figures;
    const base = await traces('baseline');
    const scaled = await traces('scaled');
    assert.equal(base.length, 8);
    assert.equal(scaled.length, 8);
    assert.equal(f.baseReplicas, 1);
    assert.equal(f.scaledReplicas, 2);
    const pids = (ts: JaegerTrace[]) =>
      new Set(
        ts.map((t) => {
          const span = named(t, 'process_order')[0]!;
          return String(
            t.processes[span.processID]!.tags.find((x) => x.key === 'process.pid')?.value,
          );
        }),
      ).size;
    assert.equal(pids(base), 1);
    assert.equal(pids(scaled), 2);
    assert.ok(Math.abs(Number(f.baseMeanWaitUs) - mean(base.map(waitInOrders))) < 1);
    assert.ok(Math.abs(Number(f.scaledMeanWaitUs) - mean(scaled.map(waitInOrders))) < 1);

    // The estimate: 8 orders at once, the i-th waits floor(i / replicas) service times.
    const model = (replicas: number) =>
      mean([...Array(8).keys()].map((i) => Math.floor(i / replicas)));
    const estimate = Math.round((model(2) / model(1) - 1) * 1000) / 10;
    assert.equal(f.estimatedWaitDeltaPct, estimate);
    const text = answer.answer.join('\n');
    assert.match(text, new RegExp(`estimate ${escapeRegExp(formatPercent(estimate))}\\)`));
    // Measured: the wait, and the service time per replica from the traces' own spans.
    const serviceUs = (ts: JaegerTrace[]) =>
      mean(ts.map((t) => named(t, 'process orders')[0]!.duration));
    assert.ok(Math.abs(Number(f.baseServiceMeanUs) - serviceUs(base)) < 1);
    assert.ok(Math.abs(Number(f.scaledServiceMeanUs) - serviceUs(scaled)) < 1);
    assert.ok(
      text.includes(
        `service time per replica       ${formatDuration(serviceUs(base))} → ${formatDuration(serviceUs(scaled))}`,
      ),
      text,
    );
    assert.match(
      text,
      new RegExp(
        `mean wait in \`orders\` .*\\(${escapeRegExp(formatPercent(Number(f.waitDeltaPct)))}; estimate`,
      ),
    );
    assert.match(text, new RegExp(`on ${availableParallelism()} cores:`));
    // Where the measurement is more than 10 points off the estimate, the answer says why,
    // with the service time each replica took before and after.
    const missed = Math.abs(Number(f.waitDeltaPct) - estimate) >= 10;
    assert.equal(f.estimateMissed, missed);
    if (missed) {
      assert.match(
        text,
        new RegExp(
          `Why the estimate missed: it assumes each replica still takes ${escapeRegExp(formatDuration(serviceUs(base)))} an order\\. Measured, each of the 2 replicas took ${escapeRegExp(formatDuration(serviceUs(scaled)))}`,
        ),
      );
    } else {
      assert.ok(
        text.includes(
          `within 10 points of the estimate; service time per replica ${formatDuration(serviceUs(base))} → ${formatDuration(serviceUs(scaled))}.`,
        ),
        text,
      );
    }
  });
});
