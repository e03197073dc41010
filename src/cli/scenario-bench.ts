import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import type { JaegerTrace } from '../model/index.js';
import { accuracyOf, adminClient, benchCase, SCENARIOS } from '../scenarios/index.js';
import type { BenchCase, BenchResult } from '../scenarios/index.js';
import { workloadOptions } from '../workload/index.js';
import { startLabProcess } from './lab-process.js';
import { scenarioById, traceSourceAt } from './scenario-run.js';

export const benchOptions: readonly OptionSpec[] = [
  {
    name: 'scenario',
    type: 'string',
    description: 'bench: only these scenarios, ID[,ID…] (default: all)',
  },
  {
    name: 'keep-traces',
    type: 'string',
    description: "bench: a directory to write each case's traces to (<id>-<seed>.json)",
  },
  ...workloadOptions
    .filter((o) => o.name === 'workload-scale')
    .map((o): OptionSpec => ({ ...o, description: `bench: its lab's ${o.description}` })),
];

async function keepTraces(
  dir: string,
  id: string,
  seed: number,
  traces: readonly JaegerTrace[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${id}-${seed}.json`), JSON.stringify({ data: traces }));
}

/** The seeds a bench runs when none is given: three, so a table shows what varies. */
const DEFAULT_SEEDS = [1, 2, 3];

export function formatBench(result: BenchResult): string {
  const rows = result.scenarios.map(
    (c) =>
      `${c.correct ? '✓' : '✗'} ${c.id.padEnd(28)} seed ${String(c.seed).padEnd(4)} truth ${`${c.truth.service}/${c.truth.cause}`.padEnd(36)} analyser ${c.analyser.service ?? '-'}/${c.analyser.cause ?? '-'}`,
  );
  const right = result.scenarios.filter((c) => c.correct).length;
  return `${rows.join('\n')}\n\naccuracy ${right}/${result.scenarios.length} (${Math.round(result.accuracy * 1000) / 10} %)\n`;
}

/**
 * `scenario bench`: starts a lab of its own (free ports, its own key prefix), runs each scenario
 * for each seed in it one after the other (each switched back before the next), and scores the
 * analyser's answers against the scenarios' ground truth.
 */
export async function runBenchCommand(values: OptionValues, json: boolean): Promise<number> {
  const only = opt.maybeStr(values, 'scenario');
  const scenarios = only
    ? only
        .split(',')
        .filter((id) => id.trim() !== '')
        .map((id) => scenarioById(id.trim()))
    : SCENARIOS;
  const seed = opt.maybeNum(values, 'seed');
  const seeds = seed === undefined ? DEFAULT_SEEDS : [seed];
  const scale = opt.num(values, 'workload-scale');
  const settleMs = opt.ms(values, 'settle');
  const keep = opt.maybeStr(values, 'keep-traces');
  const progress = (text: string) => process.stderr.write(`tracelab: ${text}\n`);
  const lab = await startLabProcess(['--workload-scale', String(scale)], progress, settleMs);
  const cases: BenchCase[] = [];
  try {
    const bench = {
      admin: adminClient(lab.adminUrl),
      apiUrl: lab.apiUrl,
      traces: traceSourceAt(lab.queryUrl),
    };
    // Every scenario once before any twice: a bench cut short still covers them all.
    for (const s of seeds) {
      for (const scenario of scenarios) {
        const label = `${scenario.id} seed ${s}`;
        progress(`${label}: starting`);
        // A case that could not run is a miss with its reason, and the bench goes on.
        const c = await benchCase(
          bench,
          scenario,
          s,
          settleMs,
          (t) => progress(`${label}: ${t}`),
          keep ? (traces) => keepTraces(keep, scenario.id, s, traces) : undefined,
        ).catch((err: Error): BenchCase => ({
          id: scenario.id,
          seed: s,
          truth: { service: scenario.truth.service, cause: scenario.truth.cause },
          analyser: { service: null, cause: null, because: `not run: ${err.message}` },
          correct: false,
        }));
        progress(
          `${label}: ${c.correct ? 'right' : 'wrong'} (analyser ${c.analyser.service}/${c.analyser.cause}: ${c.analyser.because})`,
        );
        cases.push(c);
      }
    }
  } finally {
    await lab.stop();
  }
  const result: BenchResult = { scenarios: cases, accuracy: accuracyOf(cases) };
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatBench(result));
  return 0;
}
