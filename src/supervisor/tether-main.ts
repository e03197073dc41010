/**
 * A watchdog between `tracelab up` and a program that cannot watch it (redis-server,
 * kcat): it runs the program and stops it when up's IPC channel closes, which happens
 * however up dies, SIGKILL included. Signals it gets are passed on; it exits as the program
 * did. Usage: node tether-main.js <command> [args...]
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import { NOT_FOUND_EXIT_CODE, TETHER_ENV } from './tether.js';

const KILL_AFTER_MS = 3000;

function run(argv: readonly string[]): void {
  const [command, ...args] = argv;
  if (!command) {
    process.stderr.write('usage: tether-main <command> [args...]\n');
    process.exit(2);
  }
  // The watchdog's own settings (see TetherOptions), not passed on to the program.
  const env = { ...process.env };
  const take = (name: string): string | undefined => {
    const value = env[name];
    delete env[name];
    return value;
  };
  const stopSignal = (take(TETHER_ENV.stopSignal) ?? 'SIGTERM') as NodeJS.Signals;
  const removeAfter = take(TETHER_ENV.removeAfter);
  const uid = take(TETHER_ENV.uid);
  const gid = take(TETHER_ENV.gid);
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
    ...(uid ? { uid: Number(uid) } : {}),
    ...(gid ? { gid: Number(gid) } : {}),
  });
  const stop = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS).unref();
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => stop(signal));
  }
  process.once('disconnect', () => stop(stopSignal));
  child.once('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(`cannot start ${command}: ${err.message}\n`);
    if (removeAfter) rmSync(removeAfter, { recursive: true, force: true, maxRetries: 3 });
    process.exit(err.code === 'ENOENT' ? NOT_FOUND_EXIT_CODE : 1);
  });
  child.once('exit', (code, signal) => {
    if (process.connected) process.disconnect();
    if (removeAfter) rmSync(removeAfter, { recursive: true, force: true, maxRetries: 3 });
    // A signal's conventional code: what a shell reports for a killed program.
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}

if (require.main === module) run(process.argv.slice(2));
