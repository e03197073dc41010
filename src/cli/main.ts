#!/usr/bin/env node
import { commands } from './commands.js';
import { describeFailure } from './errors.js';

/** The list of commands, each with the summary its own definition gives. */
async function usage(): Promise<string> {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  const rows = loaded.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n');
  return `tracelab: a distributed tracing and performance lab

Usage: tracelab <command> [options]

Commands:
${rows}

Run 'tracelab <command> --help' for a command's options.
`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`tracelab: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const failure = describeFailure(err);
      process.stderr.write(failure.text);
      process.exitCode = failure.exitCode;
    },
  );
}
