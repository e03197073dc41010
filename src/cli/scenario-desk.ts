import type { DeskAnswer, ScenarioDesk, TraceSource } from '../collector/index.js';
import { SERVICE_KINDS } from '../model/index.js';
import { adminClient, CAUSES, ScenarioError, viewLinks } from '../scenarios/index.js';
import { CliError } from './errors.js';
import {
  checkAnswer,
  gradeRunning,
  MYSTERY_VIEWS,
  running,
  scenarioSourceOf,
} from './scenario-run.js';

/**
 * The web UI's scenario panel, behind the collector's `/api/tracelab/scenario`: the running
 * scenario read from `up`'s admin endpoint, hints counted there, answers graded as
 * `tracelab scenario answer` grades them, over the collector's own traces. What it sends
 * before an answer is what the CLI prints before one: never the truth.
 */
export function scenarioDesk(
  adminUrl: string,
  traces: TraceSource,
  progress: string,
): ScenarioDesk {
  const admin = adminClient(adminUrl);
  const desk = { admin, traces: scenarioSourceOf(traces), queryUrl: '' };
  const view = async () => {
    const record = await admin.scenario();
    if (!record) return null;
    const { scenario } = await running(admin);
    return {
      ...(record.mystery ? {} : { id: scenario.id, level: scenario.level }),
      title: record.mystery ? `Mystery scenario (seed ${record.seed})` : scenario.title,
      mystery: record.mystery,
      question: scenario.question,
      hintsShown: record.hintsShown,
      hintsTotal: scenario.hints.length,
      hints: scenario.hints.slice(0, record.hintsShown),
      causes: record.mystery ? Object.keys(CAUSES) : scenario.causes,
      services: SERVICE_KINDS,
      views: viewLinks('', record.mystery ? MYSTERY_VIEWS : scenario.views),
      startedAt: record.startedAt,
    };
  };
  return {
    view: () => answered(view),
    hint: () =>
      answered(async () => {
        const { record } = await running(admin);
        const shown = Math.min(record.hintsShown + 1, 3);
        if (shown !== record.hintsShown) await admin.putScenario({ ...record, hintsShown: shown });
        return view();
      }),
    answer: (body) =>
      answered(async () => {
        const { service, cause } = answerOf(body);
        checkAnswer(service, cause);
        return gradeRunning(desk, progress, service, cause);
      }),
  };
}

class BadAnswer extends Error {}

function answerOf(body: unknown): { service: string; cause: string | undefined } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { service, cause } = b;
  if (
    typeof service !== 'string' ||
    (cause !== undefined && cause !== null && typeof cause !== 'string')
  )
    throw new BadAnswer(
      'body must be {"service": "<service>", "cause": "<cause>"} (cause optional)',
    );
  return { service, cause: typeof cause === 'string' && cause !== '' ? cause : undefined };
}

/** The desk's errors as answers the collector maps to a status: bad answer, none, unreachable. */
async function answered(work: () => Promise<unknown>): Promise<DeskAnswer> {
  try {
    return { ok: true, data: await work() };
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof BadAnswer) return { ok: false, problem: 'bad-answer', message };
    if (err instanceof CliError)
      // checkAnswer's words exit 2 (usage); running's "none is running" exits 1.
      return { ok: false, problem: err.exitCode === 1 ? 'none' : 'bad-answer', message };
    if (err instanceof ScenarioError) return { ok: false, problem: 'unreachable', message };
    throw err;
  }
}
