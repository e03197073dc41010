import { TracelabError } from '../errors/index.js';
import type { TracelabErrorOptions } from '../errors/index.js';

/** What stops a scenario from being set up, graded or cleared. */
export const SCENARIO_ERRORS = {
  SCN_ERR_UNREACHABLE: "the lab's API or admin endpoint does not answer",
  SCN_ERR_UNSUPPORTED: 'the running lab cannot switch what the scenario needs at run time',
  SCN_ERR_REFUSED: 'the admin endpoint or the API refused a request',
  SCN_ERR_INCOMPLETE: "the scenario's orders or their traces did not come in time",
  SCN_ERR_NONE: 'no scenario is running',
  SCN_ERR_PROGRESS: 'the progress file cannot be read or written',
} as const;
export type ScenarioErrorCode = keyof typeof SCENARIO_ERRORS;

export class ScenarioError extends TracelabError {
  constructor(code: ScenarioErrorCode, message: string, options?: TracelabErrorOptions) {
    super(code, message, options);
  }
}
