import { runCli } from './cli.js';
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
