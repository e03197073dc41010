import { TracelabError } from '../errors/index.js';
import type { TracelabErrorOptions } from '../errors/index.js';

/** What stops an exercise from giving its answer. */
export const EXERCISE_ERRORS = {
  EX_ERR_UNREACHABLE: 'the API or the trace query API does not answer',
  EX_ERR_NOT_ACCEPTED: 'the API refused orders the exercise sent',
  EX_ERR_INCOMPLETE: 'orders or their traces did not complete in time',
  EX_ERR_NO_DATA: 'the traces lack what the exercise needs',
} as const;
export type ExerciseErrorCode = keyof typeof EXERCISE_ERRORS;

export class ExerciseError extends TracelabError {
  constructor(code: ExerciseErrorCode, message: string, options?: TracelabErrorOptions) {
    super(code, message, options);
  }
}
