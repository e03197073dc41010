import { isServiceKind } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { CAUSES, causeOf } from './causes.js';
import type { Answer, Grade, ScenarioTruth } from './types.js';

/** `processing` or `processing-service` (any case) → processing; undefined for no service. */
export function serviceOf(name: string): ServiceKind | undefined {
  const kind = name
    .trim()
    .toLowerCase()
    .replace(/-service$/, '');
  return isServiceKind(kind) ? kind : undefined;
}

/**
 * Grades an answer against the ground truth. Correct: the right service, and the right cause
 * when one is given (the truth's cause or one it also accepts, by any of its words). A wrong
 * answer's explanation does not give the truth away: `reveal` does.
 */
export function grade(truth: ScenarioTruth, answer: Answer): Grade {
  const serviceCorrect = serviceOf(answer.service) === truth.service;
  const cause = answer.cause === undefined ? undefined : causeOf(answer.cause);
  const causeCorrect =
    answer.cause === undefined
      ? null
      : cause !== undefined && (cause === truth.cause || !!truth.alsoAccepted?.includes(cause));
  const correct = serviceCorrect && causeCorrect !== false;
  const explanation = correct
    ? `Right: ${truth.explanation}`
    : !serviceCorrect
      ? `Not ${answer.service}: the problem starts in another service. Look again (tracelab scenario hint), or see the answer with tracelab scenario reveal.`
      : cause === undefined
        ? `Right service, but "${answer.cause}" is not a cause this lab knows: choose one of ${Object.keys(CAUSES).join(', ')}.`
        : `Right service, but not ${cause} (${CAUSES[cause].means}): look at what its spans say.`;
  return { correct, serviceCorrect, causeCorrect, explanation };
}
