import type { JaegerTrace } from '../model/index.js';
import type { Lab } from './lab.js';

export type Figure = number | string | boolean | null;

/** What an exercise prints: the spec's question and the measured answer. */
export interface ExerciseAnswer {
  readonly exercise: number;
  readonly title: string;
  /** The spec's steps, as it words them. */
  readonly asked: readonly string[];
  /** The answer in words, a line each. */
  readonly answer: readonly string[];
  /** The numbers behind the answer (µs for times, % for CPU, MB for memory). */
  readonly figures: Readonly<Record<string, Figure>>;
  /** The traces the answer was read from, by set (`orders`, or `baseline`/`scaled`). */
  readonly traces: Readonly<Record<string, readonly JaegerTrace[]>>;
}

/** A lab an exercise starts itself (exercise 6), and stops when done. */
export interface StartedLab extends Lab {
  stop(): Promise<void>;
}

export interface ExerciseContext {
  readonly lab: Lab;
  /**
   * Starts a separate lab (`tracelab up` on free ports) with these extra flags: exercise 6 runs
   * its baseline and scaled variants this way, leaving the running lab alone.
   */
  readonly startLab: (flags: readonly string[], label: string) => Promise<StartedLab>;
}

export interface Exercise {
  readonly number: number;
  readonly title: string;
  readonly asked: readonly string[];
  /** What running it does, for `--list`. */
  readonly does: string;
  run(ctx: ExerciseContext): Promise<ExerciseAnswer>;
}
