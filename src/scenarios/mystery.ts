import { mulberry32 } from '../workload/index.js';
import type { Scenario } from './types.js';

/** A seeded pick: the same seed gives the same scenario, which it does not name. */
export function pickMystery(scenarios: readonly Scenario[], seed: number): Scenario {
  if (scenarios.length === 0) throw new RangeError('no scenarios to pick from');
  const random = mulberry32(seed);
  return scenarios[Math.floor(random() * scenarios.length)]!;
}
