import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { httpTraceSource } from '../collector/index.js';
import type { TraceQuery, TraceSource } from '../collector/index.js';
import {
  DEFAULT_ADMIN_URL,
  DEFAULT_API_URL,
  DEFAULT_QUERY_URL,
  opt,
  userConfigDir,
} from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import {
  adminClient,
  CAUSES,
  causeOf,
  evidenceFor,
  grade,
  markSolved,
  SCENARIOS,
  scenarioTraces,
  serviceOf,
  startScenario,
  viewLinks,
} from '../scenarios/index.js';
import type {
  AdminClient,
  Evidence,
  Grade,
  Scenario,
  ScenarioRecord,
  ScenarioTraceSource,
  ScenarioView,
} from '../scenarios/index.js';
import { SERVICE_KINDS } from '../model/index.js';
import { CliError } from './errors.js';
import { createStatusLine } from './status-line.js';

/** What `tracelab scenario` and `tracelab exercise --try` share: where the lab is, and progress. */
export const labOptions: readonly OptionSpec[] = [
  {
    name: 'api-url',
    type: 'string',
    env: 'TRACELAB_API_URL',
    default: DEFAULT_API_URL,
    description: "the running lab's API",
  },
  {
    name: 'url',
    type: 'string',
    env: 'TRACELAB_QUERY_URL',
    default: DEFAULT_QUERY_URL,
    description: 'the trace query API (the collector, or a Jaeger)',
  },
  {
    name: 'admin-url',
    type: 'string',
    env: 'TRACELAB_ADMIN_URL',
    default: DEFAULT_ADMIN_URL,
    description: "tracelab up's admin endpoint (its --admin-port)",
  },
  {
    name: 'settle',
    type: 'duration',
    default: '3m',
    min: 1,
    description: "how long to wait for a scenario's orders, then their traces",
  },
  {
    name: 'progress-file',
    type: 'string',
    env: 'TRACELAB_PROGRESS_FILE',
    description:
      'where the solved scenarios are kept (default: $XDG_CONFIG_HOME/tracelab/progress.json, else ~/.config/tracelab/progress.json)',
  },
];

export const progressFile = (values: OptionValues): string =>
  opt.maybeStr(values, 'progress-file') || join(userConfigDir(), 'progress.json');

export const adminOf = (values: OptionValues): AdminClient =>
  adminClient(opt.str(values, 'admin-url'));

export function traceSourceOf(values: OptionValues): ScenarioTraceSource {
  return traceSourceAt(opt.str(values, 'url'));
}

/** The query API at `queryUrl` as a scenario reads it. */
export function traceSourceAt(queryUrl: string): ScenarioTraceSource {
  return scenarioSourceOf(httpTraceSource(queryUrl));
}

/** A query API's traces (over HTTP, or the collector's own store) as a scenario reads them. */
export function scenarioSourceOf(source: TraceSource): ScenarioTraceSource {
  return {
    getTrace: (id) => source.getTrace(id),
    findTraces: (service, startUs, endUs, limit) =>
      source.findTraces({
        service,
        operation: '',
        tags: {},
        startUs: startUs as TraceQuery['startUs'],
        endUs: endUs as TraceQuery['endUs'],
        limit,
      }),
  };
}

export function scenarioById(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new CliError(`no scenario "${id}": see tracelab scenario list`);
  return s;
}

/** Sets a scenario up and prints its question and where to look. */
export async function startAndAsk(
  values: OptionValues,
  scenario: Scenario,
  pick: { seed: number | null; mystery: boolean },
): Promise<ScenarioRecord> {
  const status = createStatusLine();
  let record: ScenarioRecord;
  let summary = '';
  try {
    record = await startScenario({
      admin: adminOf(values),
      apiUrl: opt.str(values, 'api-url'),
      traces: traceSourceOf(values),
      scenario,
      ...pick,
      settleMs: opt.ms(values, 'settle'),
      progress: (t) => status.update(t),
    });
    summary = `${record.traceIds.length} orders sent and finished; their traces are in`;
  } finally {
    status.done(summary);
  }
  process.stdout.write(formatQuestion(scenario, record, opt.str(values, 'url')));
  return record;
}

/** A mystery's views would name its service: it gets the pages every investigation starts from. */
export const MYSTERY_VIEWS: readonly ScenarioView[] = [
  {
    page: 'search',
    query: { service: 'api-service', operation: 'POST /order', lookback: '15m' },
    look: 'the orders: open one and read its spans',
  },
  { page: 'system', look: 'the service map, queue waits and findings' },
];

export function formatQuestion(s: Scenario, r: ScenarioRecord, queryUrl: string): string {
  const views = r.mystery ? MYSTERY_VIEWS : s.views;
  const causes = r.mystery ? Object.keys(CAUSES) : s.causes;
  const head = r.mystery
    ? `Mystery scenario (seed ${r.seed})`
    : `Scenario ${s.id}: ${s.title} (${s.level})`;
  return [
    head,
    '',
    s.question,
    '',
    'Look here:',
    ...viewLinks(queryUrl, views).map((l) => `  ${l.url}\n      ${l.label}`),
    '',
    `Causes to choose from: ${causes.join(', ')}`,
    'Answer: tracelab scenario answer <service> [--cause <cause>]   (a hint: tracelab scenario hint)',
    '',
  ].join('\n');
}

/** The scenario the lab runs, with its record; a clear error when none. */
export async function running(
  admin: AdminClient,
): Promise<{ record: ScenarioRecord; scenario: Scenario }> {
  const record = await admin.scenario();
  if (!record) {
    throw new CliError(
      'no scenario is running: start one with tracelab scenario start <id> or --mystery',
      1,
    );
  }
  const scenario = SCENARIOS.find((s) => s.id === record.id);
  if (!scenario)
    throw new CliError(`the lab runs a scenario this tracelab does not know ("${record.id}")`, 1);
  return { record, scenario };
}

export interface AnswerResult extends Grade {
  readonly evidence: Evidence | null;
}

/** Checks the words of an answer: a service, and a cause of the vocabulary. */
export function checkAnswer(service: string | undefined, cause: string | undefined): void {
  if (!service || !serviceOf(service)) {
    throw new CliError(
      `${service ? `no service "${service}"` : 'which service?'}: answer one of ${SERVICE_KINDS.join(', ')} (with or without -service)`,
    );
  }
  if (cause !== undefined && !causeOf(cause)) {
    throw new CliError(`no cause "${cause}": choose one of ${Object.keys(CAUSES).join(', ')}`);
  }
}

/**
 * Grades an answer to the running scenario with the evidence of the traces: of the truth when
 * right, of the service answered when not (what it shows, not where the answer is).
 */
export async function gradeAnswer(
  values: OptionValues,
  service: string,
  cause: string | undefined,
): Promise<AnswerResult> {
  checkAnswer(service, cause);
  return gradeRunning(
    { admin: adminOf(values), traces: traceSourceOf(values), queryUrl: opt.str(values, 'url') },
    progressFile(values),
    service,
    cause,
  );
}

/** Where a scenario is graded: the lab holding it, its traces, and the UI its links open. */
export interface GradingDesk {
  readonly admin: AdminClient;
  readonly traces: ScenarioTraceSource;
  /** The web UI's base; '' for links relative to the page (the web UI's own). */
  readonly queryUrl: string;
}

/** Grades a checked answer to the running scenario: the CLI's and the web UI's one grading. */
export async function gradeRunning(
  desk: GradingDesk,
  progress: string,
  service: string,
  cause: string | undefined,
): Promise<AnswerResult> {
  const { record, scenario } = await running(desk.admin);
  const result = grade(scenario.truth, { service, ...(cause !== undefined ? { cause } : {}) });
  const traces = await scenarioTraces(desk.traces, record);
  const kind = result.serviceCorrect ? scenario.truth.service : serviceOf(service)!;
  const evidence = evidenceFor(kind, traces, desk.queryUrl, result.correct ? scenario.views : []);
  if (result.correct) await markSolved(progress, scenario.id);
  return { ...result, evidence };
}

export function formatAnswer(a: AnswerResult): string {
  const lines = [a.correct ? 'Correct.' : 'Not quite.', a.explanation, ''];
  if (a.evidence) {
    lines.push(`What the traces show about ${a.evidence.service}:`);
    lines.push(...a.evidence.lines.map((l) => `  - ${l}`), '');
    lines.push(...a.evidence.links.map((l) => `  ${l.url}\n      ${l.label}`), '');
  }
  return lines.join('\n');
}

/** `exercise N --try`: the question, then the learner's answer read from the terminal. */
export async function askOnTerminal(values: OptionValues): Promise<number> {
  if (!process.stdin.isTTY) {
    process.stdout.write(
      '(answer from any terminal with tracelab scenario answer <service> --cause <cause>)\n',
    );
    return 0;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const line = (await rl.question('Your answer (<service> [cause]): ')).trim();
    const [service, cause] = line.split(/\s+/);
    const result = await gradeAnswer(values, service ?? '', cause || undefined);
    process.stdout.write(formatAnswer(result));
    return result.correct ? 0 : 1;
  } finally {
    rl.close();
  }
}
