import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkStateChange, hasBody, refusalBody } from '../../http-guard/index.js';
import { CollectorError } from '../errors.js';
import { envelope } from './jaeger-envelope.js';

/**
 * The running scenario as the web UI sees it. The collector holds no scenario and grades
 * nothing: `tracelab up` hands the collector process a desk (the CLI wires in the scenarios'
 * catalogue and grading, the layer above), which reads and updates the scenario `up`'s admin
 * endpoint holds. So the browser never holds the truth before it answers, and the CLI and the
 * UI share one hint count.
 */
export interface ScenarioDesk {
  /** The question, the hints shown so far, level, causes, views; null when none runs. */
  view(): Promise<DeskAnswer>;
  /** Shows the next hint (as `tracelab scenario hint`). */
  hint(): Promise<DeskAnswer>;
  /** Grades `{service, cause?}` (as `tracelab scenario answer`). */
  answer(body: unknown): Promise<DeskAnswer>;
}

export type DeskAnswer =
  | { readonly ok: true; readonly data: unknown }
  | {
      readonly ok: false;
      readonly problem: 'none' | 'bad-answer' | 'unreachable';
      readonly message: string;
    };

export const SCENARIO_API = {
  scenario: '/api/tracelab/scenario',
  hint: '/api/tracelab/scenario/hint',
  answer: '/api/tracelab/scenario/answer',
} as const;

const PROBLEM_CODES = {
  none: 'SCENARIO_NONE',
  'bad-answer': 'SCENARIO_BAD_ANSWER',
  unreachable: 'SCENARIO_LAB_UNREACHABLE',
} as const;

function unwrap(answer: DeskAnswer) {
  if (answer.ok) return envelope(answer.data, 1);
  throw new CollectorError(PROBLEM_CODES[answer.problem], answer.message);
}

/**
 * `GET /api/tracelab/scenario`, `POST …/hint` and `POST …/answer`. The two POSTs change the
 * lab (the hint count, the learner's progress): JSON only, from no foreign Origin, as the
 * other state-changing routes of the lab.
 */
export function registerScenarioApi(
  app: FastifyInstance,
  desk: ScenarioDesk | undefined,
  allowed: ReadonlySet<string>,
): void {
  const the = (): ScenarioDesk => {
    if (!desk) throw new CollectorError('SCENARIO_NOT_CONFIGURED');
    return desk;
  };
  // Before the body is read: a refused request is not parsed, whatever it says it holds.
  const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    const refusal = checkStateChange(
      {
        method: req.method,
        contentType: req.headers['content-type'],
        origin: req.headers.origin,
        host: req.headers.host,
        hasBody: hasBody(req.headers),
      },
      allowed,
    );
    if (refusal)
      return reply.status(refusal.status).header('connection', 'close').send(refusalBody(refusal));
  };
  app.get(SCENARIO_API.scenario, async () => unwrap(await the().view()));
  app.post(SCENARIO_API.hint, { onRequest }, async () => unwrap(await the().hint()));
  app.post(SCENARIO_API.answer, { onRequest }, async (req) => unwrap(await the().answer(req.body)));
}
