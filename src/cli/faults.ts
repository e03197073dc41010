import { applyFaultSettings, FaultSpecError, parseFaultSetting } from '../faults/index.js';
import type { FaultSet } from '../faults/index.js';
import { CliError } from './errors.js';

/** `--fault` values (repeated or comma-separated) as a fault set; a bad one is a usage error. */
export function faultSetFrom(values: readonly string[]): FaultSet {
  try {
    const settings = values
      .flatMap((v) => v.split(','))
      .filter((v) => v.trim() !== '')
      .map(parseFaultSetting);
    return applyFaultSettings({}, settings);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new CliError(err.message, 2);
    throw err;
  }
}
