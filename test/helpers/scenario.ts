import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { runCli } from './cli.js';
import { startSystem } from './system.js';
import type { RunningSystem } from './system.js';

/** `tracelab scenario …` against a running lab, as a learner at a terminal runs it. */
export function scenarioCli(
  sys: () => RunningSystem,
  env: () => NodeJS.ProcessEnv,
): (...args: string[]) => ReturnType<typeof runCli> {
  return (...args) =>
    runCli(
      [
        'scenario',
        ...args,
        '--api-url',
        sys().apiUrl,
        '--url',
        sys().queryUrl,
        '--admin-url',
        sys().adminUrl,
      ],
      { env: env(), timeoutMs: 120_000 },
    );
}

/** A file's lab for scenario tests, there once `before` has run. */
export interface ScenarioLab {
  readonly sys: RunningSystem;
  /** The CLI's environment: progress in a folder of the file's own, nothing pointing elsewhere. */
  readonly env: NodeJS.ProcessEnv;
  /** `tracelab scenario …` against this lab. */
  readonly scenario: (...args: string[]) => ReturnType<typeof runCli>;
}

/** Starts a lab with `flags` before the file's tests and stops it, and its folder, after. */
export function scenarioLab(flags: readonly string[] = []): ScenarioLab {
  let sys: RunningSystem | undefined;
  let dir: string | undefined;
  const started = () => {
    if (!sys || !dir) throw new Error('the scenario lab is used before it started');
    return { sys, dir };
  };
  const env = () => ({
    TRACELAB_PROGRESS_FILE: join(started().dir, 'progress.json'),
    TRACELAB_ADMIN_URL: '',
  });
  before(async () => {
    sys = await startSystem([...flags]);
    dir = await mkdtemp(join(tmpdir(), 'tracelab-scenario-'));
  });
  after(async () => {
    await sys?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get sys() {
      return started().sys;
    },
    get env() {
      return env();
    },
    scenario: scenarioCli(() => started().sys, env),
  };
}
