import { basicTracing } from './ex1-basic-tracing.js';
import { performanceComparison } from './ex2-performance-comparison.js';
import { bottleneck } from './ex3-bottleneck.js';
import { resourceCorrelation } from './ex4-resource-correlation.js';
import { severeWorkload } from './ex5-severe-workload.js';
import { scaling } from './ex6-scaling.js';
import type { Exercise } from './types.js';

/** The spec's six learning exercises, in its order. */
export const EXERCISES: readonly Exercise[] = [
  basicTracing,
  performanceComparison,
  bottleneck,
  resourceCorrelation,
  severeWorkload,
  scaling,
];

export { checkLab } from './lab.js';
export type { Lab } from './lab.js';
export { ExerciseError, EXERCISE_ERRORS } from './errors.js';
export type { ExerciseAnswer, ExerciseContext, Exercise, StartedLab } from './types.js';
