import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const TETHER = join(__dirname, 'tether-main.js');

/** What `spawnTethered` reports when the program is not installed: a shell's code for it. */
export const NOT_FOUND_EXIT_CODE = 127;

/** How the watchdog is told its extra settings: variables of its own environment only. */
export const TETHER_ENV = {
  /** The signal that stops the program when up is gone (default SIGTERM). */
  stopSignal: 'TRACELAB_TETHER_STOP_SIGNAL',
  /** A directory removed once the program has exited (a private server's data). */
  removeAfter: 'TRACELAB_TETHER_REMOVE_AFTER',
  /** The user and group the program runs as (a server that refuses to run as root). */
  uid: 'TRACELAB_TETHER_UID',
  gid: 'TRACELAB_TETHER_GID',
} as const;

export interface TetherOptions {
  stdout?: 'pipe' | 'ignore';
  stderr?: 'pipe' | 'ignore';
  detached?: boolean;
  stopSignal?: NodeJS.Signals;
  removeAfter?: string;
  uid?: number;
  gid?: number;
}

/**
 * Starts `command` through a small watchdog (./tether-main.ts) that stops it when this
 * process is gone, even if this process is SIGKILLed and cannot clean up. The returned
 * process is the watchdog: its output is the program's, signals sent to it reach the
 * program, and it exits when the program does (127 if the program is not installed).
 */
export function spawnTethered(
  command: string,
  args: readonly string[],
  opts: TetherOptions = {},
): ChildProcess {
  const extra: Record<string, string> = {};
  if (opts.stopSignal) extra[TETHER_ENV.stopSignal] = opts.stopSignal;
  if (opts.removeAfter) extra[TETHER_ENV.removeAfter] = opts.removeAfter;
  if (opts.uid !== undefined) extra[TETHER_ENV.uid] = String(opts.uid);
  if (opts.gid !== undefined) extra[TETHER_ENV.gid] = String(opts.gid);
  return spawn(process.execPath, [TETHER, command, ...args], {
    stdio: ['ignore', opts.stdout ?? 'pipe', opts.stderr ?? 'pipe', 'ipc'],
    detached: opts.detached ?? false,
    ...(Object.keys(extra).length > 0 ? { env: { ...process.env, ...extra } } : {}),
  });
}
