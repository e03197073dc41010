import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const TETHER = join(__dirname, 'tether-main.js');

/** What `spawnTethered` reports when the program is not installed: a shell's code for it. */
export const NOT_FOUND_EXIT_CODE = 127;

/**
 * Starts `command` through a small watchdog (./tether-main.ts) that stops it when this
 * process is gone, even if this process is SIGKILLed and cannot clean up. The returned
 * process is the watchdog: its output is the program's, signals sent to it reach the
 * program, and it exits when the program does (127 if the program is not installed).
 */
export function spawnTethered(
  command: string,
  args: readonly string[],
  opts: { stdout?: 'pipe' | 'ignore'; stderr?: 'pipe' | 'ignore'; detached?: boolean } = {},
): ChildProcess {
  return spawn(process.execPath, [TETHER, command, ...args], {
    stdio: ['ignore', opts.stdout ?? 'pipe', opts.stderr ?? 'pipe', 'ipc'],
    detached: opts.detached ?? false,
  });
}
