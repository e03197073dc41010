import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  /** Shown before each of its log lines, e.g. `processing-service#2`. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** A line that says it is ready; its match is handed to the caller. */
  readonly ready: RegExp;
  readonly readyTimeoutMs?: number;
  /** Restart it when it dies on its own (like a container's restart policy). */
  readonly restart?: boolean;
}

export interface SupervisedChild {
  readonly label: string;
  readonly pid: () => number | undefined;
  /** The ready line's match on the first start. */
  readonly readyMatch: RegExpMatchArray;
  /** Lines it printed up to and including the ready line, on the first start. */
  readonly lines: readonly string[];
  /** SIGTERM, then SIGKILL after graceMs. Resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export type LineWriter = (label: string, line: string, stream: 'out' | 'err') => void;

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * Starts a child process, prefixes its output, resolves once it prints its ready line.
 * A child that dies unexpectedly is restarted with a growing delay; one that keeps dying
 * calls `onGiveUp`.
 */
export function startChild(
  spec: ChildSpec,
  write: LineWriter,
  onGiveUp: (label: string, reason: string) => void,
): Promise<SupervisedChild> {
  let current: ChildProcess | undefined;
  let stopping = false;
  const restarts: number[] = [];

  return new Promise((resolveReady, rejectReady) => {
    let first = true;
    const launch = () => {
      const child = spawn(spec.command, [...spec.args], {
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which
        // then stops the children in pipeline order.
        detached: true,
      });
      current = child;
      let ready = false;
      const early: string[] = [];
      const timer = setTimeout(() => {
        if (!ready) child.kill('SIGKILL');
      }, spec.readyTimeoutMs ?? 30_000);
      const onLine = (stream: 'out' | 'err') => (line: string) => {
        write(spec.label, line, stream);
        if (!ready) {
          early.push(line);
          const m = line.match(spec.ready);
          if (m) {
            ready = true;
            clearTimeout(timer);
            if (first) {
              first = false;
              resolveReady({
                label: spec.label,
                pid: () => current?.pid,
                readyMatch: m,
                lines: early,
                stop: (graceMs) => stopCurrent(graceMs),
              });
            }
          }
        }
      };
      createInterface({ input: child.stdout }).on('line', onLine('out'));
      createInterface({ input: child.stderr }).on('line', onLine('err'));
      child.on('error', (err) => write(spec.label, `cannot start: ${err.message}`, 'err'));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (first) {
          first = false;
          const said = early
            .filter((l) => l.trim())
            .slice(-3)
            .join('\n');
          rejectReady(
            new Error(
              `${spec.label} stopped before it was ready (${how})${said ? `:\n${said}` : ''}`,
            ),
          );
          return;
        }
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
        if (!spec.restart || restarts.length > MAX_RESTARTS) {
          onGiveUp(
            spec.label,
            `stopped (${how})${spec.restart ? ` ${restarts.length} times in a minute` : ''}`,
          );
          return;
        }
        const delay = 250 * 2 ** (restarts.length - 1);
        write(spec.label, `stopped (${how}); restarting in ${delay} ms`, 'err');
        setTimeout(() => {
          if (!stopping) launch();
        }, delay);
      });
    };

    const stopCurrent = (graceMs = 20_000): Promise<void> => {
      stopping = true;
      const child = current;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    };

    launch();
  });
}
