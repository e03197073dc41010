import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { busOptions } from '../bus/index.js';
import { httpTraceSource } from '../collector/index.js';
import { opt } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { checkLab, EXERCISES } from '../exercises/index.js';
import type { ExerciseAnswer, Lab } from '../exercises/index.js';
import { workloadOptions } from '../workload/index.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { startLabProcess } from './lab-process.js';
import { askOnTerminal, labOptions, startAndAsk } from './scenario-run.js';
import { SCENARIOS } from '../scenarios/index.js';
import { createStatusLine } from './status-line.js';

// What exercise 6 passes on to the labs it starts, when given.
const forwarded = [
  ...busOptions.filter((o) => o.name === 'redis-url'),
  ...workloadOptions.filter((o) => o.name === 'workload-scale' || o.name === 'seed'),
].map((o): OptionSpec => ({ ...o, description: `exercise 6's labs: ${o.description}` }));

const options: readonly OptionSpec[] = [
  ...labOptions.filter((o) => o.name === 'api-url' || o.name === 'url'),
  {
    name: 'settle',
    type: 'duration',
    default: '5m',
    min: 1,
    description: 'how long to wait for the orders, then their traces, to complete',
  },
  { name: 'list', type: 'boolean', default: false, description: 'list the exercises' },
  { name: 'json', type: 'boolean', default: false, description: 'print the answer as JSON' },
  {
    name: 'save-traces',
    type: 'string',
    description: 'write the traces read to DIR as Jaeger JSON (exercise-N[-set].json)',
  },
  {
    name: 'try',
    type: 'boolean',
    default: false,
    description:
      'set the exercise up as a scenario and ask for your answer instead of printing ours',
  },
  ...labOptions.filter((o) => o.name === 'admin-url' || o.name === 'progress-file'),
  ...forwarded,
];

function listing(): string {
  return `${EXERCISES.map(
    (e) =>
      `${e.number}  ${e.title}\n${e.asked.map((a) => `     - ${a}`).join('\n')}\n   runs: ${e.does}`,
  ).join('\n\n')}\n\nRun one: tracelab exercise <1-6> (against a running \`tracelab up\`).\n`;
}

function formatAnswer(a: ExerciseAnswer): string {
  return [
    `Exercise ${a.exercise}: ${a.title}`,
    ...a.asked.map((q) => `  - ${q}`),
    '',
    ...a.answer,
    '',
  ].join('\n');
}

export const command = defineCommand({
  name: 'exercise',
  summary: "run one of the spec's six learning exercises on the running lab; prints the answer",
  usage: 'exercise <1-6> | --list [options]',
  options,
  async run({ values, positionals, sources }) {
    if (opt.bool(values, 'list')) {
      process.stdout.write(listing());
      return 0;
    }
    const n = Number(positionals[0]);
    const exercise = EXERCISES.find((e) => e.number === n);
    if (positionals.length !== 1 || !exercise) {
      throw new CliError(
        `${positionals.length === 0 ? 'which exercise?' : `no exercise "${positionals.join(' ')}"`}: give a number from 1 to 6 (tracelab exercise --list)`,
      );
    }
    if (opt.bool(values, 'try')) {
      const scenario = SCENARIOS.find((s) => s.exercise === exercise.number)!;
      await startAndAsk(values, scenario, { seed: null, mystery: false });
      return askOnTerminal(values);
    }
    const status = createStatusLine();
    const settleMs = opt.ms(values, 'settle');
    const queryUrl = opt.str(values, 'url');
    const source = httpTraceSource(queryUrl);
    const lab: Lab = {
      apiUrl: opt.str(values, 'api-url'),
      queryUrl,
      getTrace: (id) => source.getTrace(id),
      settleMs,
      progress: (t) => status.update(t),
    };
    const labFlags = forwarded.flatMap((o) =>
      sources[o.name] === 'default' || values[o.name] === undefined
        ? []
        : [`--${o.name}`, String(values[o.name])],
    );
    // Exercise 6 brings its own labs; the others use the one running.
    if (exercise.number !== 6) {
      await checkLab(lab);
      await source.services();
    }
    let answer: ExerciseAnswer;
    try {
      answer = await exercise.run({
        lab,
        startLab: (flags, label) =>
          startLabProcess(
            [...labFlags, ...flags],
            (t) => status.update(`${label}: ${t}`),
            settleMs,
          ),
      });
    } finally {
      status.done('');
    }
    const dir = opt.maybeStr(values, 'save-traces');
    if (dir) {
      await mkdir(dir, { recursive: true });
      const sets = Object.entries(answer.traces);
      for (const [set, traces] of sets) {
        const name = `exercise-${answer.exercise}${sets.length > 1 ? `-${set}` : ''}.json`;
        await writeFile(join(dir, name), JSON.stringify({ data: traces }));
      }
    }
    process.stdout.write(
      opt.bool(values, 'json')
        ? `${JSON.stringify({ ...answer, traces: Object.fromEntries(Object.entries(answer.traces).map(([k, v]) => [k, v.map((t) => t.traceID)])) }, null, 2)}\n`
        : formatAnswer(answer),
    );
    return 0;
  },
});
