import { TracelabError } from '../errors/index.js';

/** A usage error found by the command line itself (an unknown service name, say). */
export class CliError extends TracelabError {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super('CLI_ERR_USAGE', message);
  }
}

/**
 * Exit codes by error code, the one place where a module's error becomes a process outcome.
 * 2: the user can fix it (a setting, a missing dependency); 1: it failed at run time.
 */
const EXIT_CODES: ReadonlyArray<readonly [prefix: string, exitCode: number]> = [
  ['CONFIG_ERR_', 2],
  ['BUS_ERR_', 2],
  ['SUP_ERR_', 2],
  ['SVC_ERR_', 2],
  ['DATA_FILE_', 2],
  ['WL_ERR_', 1],
];

export interface Failure {
  /** What to print on stderr. */
  readonly text: string;
  readonly exitCode: number;
}

/** How a command's error is shown: coded errors as a message (and hint), others with a stack. */
export function describeFailure(err: unknown): Failure {
  if (err instanceof CliError) {
    return { text: `tracelab: ${err.message}\n`, exitCode: err.exitCode };
  }
  if (err instanceof TracelabError) {
    const exitCode = EXIT_CODES.find(([prefix]) => err.code.startsWith(prefix))?.[1] ?? 1;
    const hint = err.hint ? `  ${err.hint}\n` : '';
    return { text: `tracelab: ${err.message}\n${hint}`, exitCode };
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { text: `tracelab: unexpected error: ${stack}\n`, exitCode: 1 };
}
