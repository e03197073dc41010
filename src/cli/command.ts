import { formatHelp, parseCommandLine } from '../config/index.js';
import type { OptionSpec, ParsedCommandLine } from '../config/index.js';

/** One `tracelab <name>` command. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

export interface CommandDefinition {
  readonly name: string;
  readonly summary: string;
  /** Usage line after `tracelab`, e.g. `service <api|processing|notification|analytics> [options]`. */
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  /** More help after the options: what the words mean, examples. */
  readonly details?: string;
  run(parsed: ParsedCommandLine): Promise<number>;
}

/** Wraps a command so that `--help` and option errors behave the same everywhere. */
export function defineCommand(def: CommandDefinition): Command {
  return {
    name: def.name,
    summary: def.summary,
    async run(argv) {
      const parsed = parseCommandLine(def.options, argv);
      if (parsed.help) {
        process.stdout.write(formatHelp(`tracelab ${def.usage}`, def.summary, def.options));
        if (def.details) process.stdout.write(`\n${def.details}\n`);
        return 0;
      }
      return def.run(parsed);
    },
  };
}
