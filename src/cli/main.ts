#!/usr/bin/env node
import { commands } from './commands.js';
import { CliError } from './errors.js';

function usage(): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n');
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
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`tracelab: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(rest);
}

/**
 * A child of `tracelab up` lives in its own process group, so it watches its parent: if the
 * supervisor dies without stopping it, it stops itself the graceful way.
 */
function watchParent(): void {
  const parent = Number(process.env.TRACELAB_PARENT_PID);
  if (!parent) return;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 1000).unref();
}

if (require.main === module) {
  watchParent();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof CliError) {
        process.stderr.write(`tracelab: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(
          `tracelab: unexpected error: ${(err as Error).stack ?? String(err)}\n`,
        );
        process.exitCode = 1;
      }
    },
  );
}
