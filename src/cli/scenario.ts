import { randomInt } from 'node:crypto';
import { opt } from '../config/index.js';
import {
  evidenceFor,
  pickMystery,
  readProgress,
  SCENARIOS,
  scenarioTraces,
  stopScenario,
} from '../scenarios/index.js';
import { defineCommand } from './command.js';
import { benchOptions, runBenchCommand } from './scenario-bench.js';
import { CliError } from './errors.js';
import {
  adminOf,
  formatAnswer,
  gradeAnswer,
  labOptions,
  progressFile,
  running,
  scenarioById,
  startAndAsk,
  traceSourceOf,
} from './scenario-run.js';

const ACTIONS = ['list', 'start', 'hint', 'answer', 'reveal', 'stop', 'bench'] as const;

export const command = defineCommand({
  name: 'scenario',
  summary: 'investigate a problem set up in the running lab, answer, and be graded',
  usage:
    'scenario list | start <id> | start --mystery [--seed N] | hint | answer <service> [--cause C] | reveal | stop | bench [--scenario ID[,ID…]] [--seed N] [--workload-scale X] [options]',
  options: [
    ...labOptions,
    {
      name: 'mystery',
      type: 'boolean',
      default: false,
      description: 'start: a scenario picked at random, not named',
    },
    {
      name: 'seed',
      type: 'number',
      integer: true,
      min: 0,
      description:
        "with --mystery: the pick's seed (the same seed, the same scenario); bench: the one seed to run (default 1, 2 and 3)",
    },
    ...benchOptions,
    { name: 'cause', type: 'string', description: 'answer: the cause, e.g. slow_downstream' },
    { name: 'json', type: 'boolean', default: false, description: 'print the result as JSON' },
  ],
  async run({ values, positionals }) {
    const [action = 'list', ...words] = positionals;
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new CliError(`scenario takes ${ACTIONS.join(', ')} (got "${action}")`);
    }
    const json = opt.bool(values, 'json');
    const out = (text: string) => process.stdout.write(text);
    const words0 = (n: number) => {
      if (words.length > n)
        throw new CliError(
          `scenario ${action} takes ${n === 0 ? 'no more words' : 'one word'} (got "${words.join(' ')}")`,
        );
    };
    switch (action) {
      case 'list': {
        words0(0);
        const { solved } = await readProgress(progressFile(values));
        if (json) {
          out(
            `${JSON.stringify(
              SCENARIOS.map((s) => ({
                id: s.id,
                title: s.title,
                level: s.level,
                ...(s.exercise ? { exercise: s.exercise } : {}),
                question: s.question,
                hints: s.hints,
                views: s.views,
                causes: s.causes,
                solved: solved.includes(s.id),
              })),
              null,
              2,
            )}\n`,
          );
        } else {
          const w = Math.max(...SCENARIOS.map((s) => s.id.length));
          out(
            `${SCENARIOS.map((s) => `${solved.includes(s.id) ? '✓' : ' '} ${s.id.padEnd(w)}  ${s.level.padEnd(12)}  ${s.title}`).join('\n')}\n\n` +
              `${solved.length} of ${SCENARIOS.length} solved. Start one: tracelab scenario start <id> (or --mystery)\n`,
          );
        }
        return 0;
      }
      case 'start': {
        words0(1);
        const mystery = opt.bool(values, 'mystery');
        const seedGiven = opt.maybeNum(values, 'seed');
        if (mystery === (words.length === 1)) {
          throw new CliError('start takes a scenario id or --mystery (tracelab scenario list)');
        }
        if (seedGiven !== undefined && !mystery) throw new CliError('--seed goes with --mystery');
        if (mystery) {
          const seed = seedGiven ?? randomInt(2 ** 31);
          await startAndAsk(values, pickMystery(SCENARIOS, seed), { seed, mystery: true });
        } else {
          await startAndAsk(values, scenarioById(words[0]!), { seed: null, mystery: false });
        }
        return 0;
      }
      case 'hint': {
        words0(0);
        const admin = adminOf(values);
        const { record, scenario } = await running(admin);
        const shown = Math.min(record.hintsShown + 1, 3);
        if (shown !== record.hintsShown) await admin.putScenario({ ...record, hintsShown: shown });
        const hints = scenario.hints.slice(0, shown);
        if (json) out(`${JSON.stringify({ hintsShown: shown, hints }, null, 2)}\n`);
        else {
          out(`Hint ${shown} of 3: ${hints[shown - 1]}\n`);
          if (record.hintsShown >= 3)
            out(
              `(every hint is out; earlier ones:\n${hints
                .slice(0, 2)
                .map((h) => `  - ${h}`)
                .join('\n')}\n then tracelab scenario reveal)\n`,
            );
        }
        return 0;
      }
      case 'answer': {
        if (words.length !== 1)
          throw new CliError(
            'answer takes one service: tracelab scenario answer <service> [--cause <cause>]',
          );
        const result = await gradeAnswer(values, words[0]!, opt.maybeStr(values, 'cause'));
        out(json ? `${JSON.stringify(result, null, 2)}\n` : formatAnswer(result));
        return result.correct ? 0 : 1;
      }
      case 'reveal': {
        words0(0);
        const { record, scenario } = await running(adminOf(values));
        const traces = await scenarioTraces(traceSourceOf(values), record);
        const evidence = evidenceFor(
          scenario.truth.service,
          traces,
          opt.str(values, 'url'),
          scenario.views,
        );
        const revealed = {
          id: scenario.id,
          title: scenario.title,
          service: scenario.truth.service,
          cause: scenario.truth.cause,
          explanation: scenario.truth.explanation,
          setup: scenario.setup,
          evidence,
        };
        if (json) out(`${JSON.stringify(revealed, null, 2)}\n`);
        else
          out(
            [
              `${scenario.id}: ${scenario.title}`,
              `The answer: ${scenario.truth.service}, ${scenario.truth.cause}.`,
              scenario.truth.explanation,
              `Set up with: ${[...scenario.setup.faults, ...Object.entries(scenario.setup.intensities).map(([s, i]) => `${s} intensity ${i}`), ...Object.entries(scenario.setup.replicas).map(([s, n]) => `${s} ×${n}`)].join(', ')}`,
              '',
              formatAnswer({
                correct: true,
                serviceCorrect: true,
                causeCorrect: null,
                explanation: '',
                evidence,
              }).replace(/^Correct\.\n\n/, ''),
            ].join('\n'),
          );
        return 0;
      }
      case 'bench': {
        words0(0);
        return runBenchCommand(values, json);
      }
      default: {
        words0(0);
        const { record: stopped, problems } = await stopScenario(adminOf(values));
        for (const p of problems) process.stderr.write(`tracelab: could not switch back: ${p}\n`);
        out(
          json
            ? `${JSON.stringify({ stopped: stopped.id }, null, 2)}\n`
            : `stopped scenario ${stopped.id}; its faults, intensities and replicas are switched back\n`,
        );
        return problems.length ? 1 : 0;
      }
    }
  },
});
