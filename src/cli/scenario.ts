import { randomInt } from 'node:crypto';
import { opt } from '../config/index.js';
import type { OptionValues } from '../config/index.js';
import {
  describeSetup,
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
    if (!isAction(action)) {
      throw new CliError(`scenario takes ${ACTIONS.join(', ')} (got "${action}")`);
    }
    const out = (text: string) => process.stdout.write(text);
    return HANDLERS[action]({ values, words, json: opt.bool(values, 'json'), out, action });
  },
});

type Action = (typeof ACTIONS)[number];
const isAction = (a: string): a is Action => (ACTIONS as readonly string[]).includes(a);

/** What one action of the command is given. */
interface ActionContext {
  readonly values: OptionValues;
  readonly words: readonly string[];
  readonly json: boolean;
  readonly out: (text: string) => void;
  readonly action: Action;
}

/** Refuses words past the `n` an action takes. */
function takesWords({ words, action }: ActionContext, n: 0 | 1): void {
  if (words.length > n)
    throw new CliError(
      `scenario ${action} takes ${n === 0 ? 'no more words' : 'one word'} (got "${words.join(' ')}")`,
    );
}

const HANDLERS: Record<Action, (ctx: ActionContext) => Promise<number>> = {
  list: listScenarios,
  start: startScenario,
  hint: showHint,
  async answer({ values, words, json, out }) {
    if (words.length !== 1)
      throw new CliError(
        'answer takes one service: tracelab scenario answer <service> [--cause <cause>]',
      );
    const result = await gradeAnswer(values, words[0]!, opt.maybeStr(values, 'cause'));
    out(json ? `${JSON.stringify(result, null, 2)}\n` : formatAnswer(result));
    return result.correct ? 0 : 1;
  },
  reveal: revealScenario,
  bench(ctx) {
    takesWords(ctx, 0);
    return runBenchCommand(ctx.values, ctx.json);
  },
  async stop(ctx) {
    takesWords(ctx, 0);
    const { record: stopped, problems } = await stopScenario(adminOf(ctx.values));
    for (const p of problems) process.stderr.write(`tracelab: could not switch back: ${p}\n`);
    ctx.out(
      ctx.json
        ? `${JSON.stringify({ stopped: stopped.id }, null, 2)}\n`
        : `stopped scenario ${stopped.id}; what it set (faults, intensities, replicas, call policies, autoscaling) is switched back\n`,
    );
    return problems.length ? 1 : 0;
  },
};

async function listScenarios(ctx: ActionContext): Promise<number> {
  takesWords(ctx, 0);
  const { solved } = await readProgress(progressFile(ctx.values));
  if (ctx.json) {
    const list = SCENARIOS.map((s) => ({
      id: s.id,
      title: s.title,
      level: s.level,
      ...(s.exercise ? { exercise: s.exercise } : {}),
      question: s.question,
      hints: s.hints,
      views: s.views,
      causes: s.causes,
      solved: solved.includes(s.id),
    }));
    ctx.out(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const w = Math.max(...SCENARIOS.map((s) => s.id.length));
  ctx.out(
    `${SCENARIOS.map((s) => `${solved.includes(s.id) ? '✓' : ' '} ${s.id.padEnd(w)}  ${s.level.padEnd(12)}  ${s.title}`).join('\n')}\n\n` +
      `${solved.length} of ${SCENARIOS.length} solved. Start one: tracelab scenario start <id> (or --mystery)\n`,
  );
  return 0;
}

async function startScenario(ctx: ActionContext): Promise<number> {
  takesWords(ctx, 1);
  const { values, words } = ctx;
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

async function showHint(ctx: ActionContext): Promise<number> {
  takesWords(ctx, 0);
  const admin = adminOf(ctx.values);
  const { record, scenario } = await running(admin);
  const shown = Math.min(record.hintsShown + 1, 3);
  if (shown !== record.hintsShown) await admin.putScenario({ ...record, hintsShown: shown });
  const hints = scenario.hints.slice(0, shown);
  if (ctx.json) {
    ctx.out(`${JSON.stringify({ hintsShown: shown, hints }, null, 2)}\n`);
    return 0;
  }
  ctx.out(`Hint ${shown} of 3: ${hints[shown - 1]}\n`);
  if (record.hintsShown >= 3) {
    const earlier = hints
      .slice(0, 2)
      .map((h) => `  - ${h}`)
      .join('\n');
    ctx.out(`(every hint is out; earlier ones:\n${earlier}\n then tracelab scenario reveal)\n`);
  }
  return 0;
}

async function revealScenario(ctx: ActionContext): Promise<number> {
  takesWords(ctx, 0);
  const { values } = ctx;
  const { record, scenario } = await running(adminOf(values));
  const traces = await scenarioTraces(traceSourceOf(values), record);
  const evidence = evidenceFor(
    scenario.truth.service,
    traces,
    opt.str(values, 'url'),
    scenario.views,
  );
  const { truth, setup } = scenario;
  if (ctx.json) {
    const revealed = {
      id: scenario.id,
      title: scenario.title,
      service: truth.service,
      cause: truth.cause,
      explanation: truth.explanation,
      setup,
      evidence,
    };
    ctx.out(`${JSON.stringify(revealed, null, 2)}\n`);
    return 0;
  }
  const setUpWith = describeSetup(setup);
  const graded = formatAnswer({
    correct: true,
    serviceCorrect: true,
    causeCorrect: null,
    explanation: '',
    evidence,
  }).replace(/^Correct\.\n\n/, '');
  ctx.out(
    [
      `${scenario.id}: ${scenario.title}`,
      `The answer: ${truth.service}, ${truth.cause}.`,
      truth.explanation,
      `Set up with: ${setUpWith.join(', ')}`,
      '',
      graded,
    ].join('\n'),
  );
  return 0;
}
