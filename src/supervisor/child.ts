import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SupervisorError } from './errors.js';
import { isReadyMessage } from './ready.js';
import type { ReadyMessage } from './ready.js';

export interface ChildSpec {
  /** Shown before each of its log lines, e.g. `processing-service#2`. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
  /** Restart it when it dies on its own (like a container's restart policy). */
  readonly restart?: boolean;
  /**
   * The arguments of a restart, from what the first start reported: e.g. the ports it got
   * from port 0, so the others can keep using them.
   */
  readonly restartArgs?: (first: ReadyMessage) => readonly string[];
  /**
   * Never give up restarting it: past the usual restarts, keep trying with this delay at
   * most, and say what is down. For a part the rest can run without (the collector).
   */
  readonly keepTrying?: { readonly maxDelayMs: number; readonly what: string };
}

export interface SupervisedChild {
  readonly label: string;
  readonly pid: () => number | undefined;
  /** What it said when it was ready the first time: where it serves. */
  readonly ready: ReadyMessage;
  /** SIGTERM, then SIGKILL after graceMs. Resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export type LineWriter = (label: string, line: string, stream: 'out' | 'err') => void;

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * Starts a child process with an IPC channel, prefixes its output, resolves once the child
 * sends its ready message (see ./parent-link.ts). The channel also tells the child when
 * this process is gone. A child that dies unexpectedly is restarted with a growing delay;
 * one that keeps dying calls `onGiveUp`.
 */
export function startChild(
  spec: ChildSpec,
  write: LineWriter,
  onGiveUp: (label: string, reason: string) => void,
): Promise<SupervisedChild> {
  let current: ChildProcess | undefined;
  let stopping = false;
  const restarts: number[] = [];
  let down = false;

  return new Promise((resolveReady, rejectReady) => {
    let first = true;
    let firstReady: ReadyMessage | undefined;
    const launch = () => {
      const args = firstReady && spec.restartArgs ? spec.restartArgs(firstReady) : spec.args;
      const child = spawnChild(spec, args);
      current = child;
      let ready = false;
      const early: string[] = [];
      let timedOut = false;
      const readyTimeoutMs = spec.readyTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        if (ready) return;
        timedOut = true;
        child.kill('SIGKILL');
      }, readyTimeoutMs);
      const onLine = (stream: 'out' | 'err') => (line: string) => {
        write(spec.label, line, stream);
        // Its last words, should it stop before it is ready.
        if (!ready) {
          early.push(line);
          if (early.length > 20) early.shift();
        }
      };
      child.on('message', (m: unknown) => {
        if (ready || !isReadyMessage(m)) return;
        ready = true;
        clearTimeout(timer);
        if (down) {
          down = false;
          write(spec.label, `back: ${spec.keepTrying?.what ?? 'it'} is up again`, 'out');
        }
        if (first) {
          first = false;
          firstReady = m;
          resolveReady({
            label: spec.label,
            pid: () => current?.pid,
            ready: m,
            stop: (graceMs) => stopCurrent(graceMs),
          });
        }
      });
      createInterface({ input: child.stdout! }).on('line', onLine('out'));
      createInterface({ input: child.stderr! }).on('line', onLine('err'));
      child.on('error', (err) => write(spec.label, `cannot start: ${err.message}`, 'err'));
      // 'close', not 'exit': its last lines have been read by then.
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (stopping) return;
        const how = timedOut
          ? `not ready within ${readyTimeoutMs / 1000} s`
          : signal
            ? `signal ${signal}`
            : `exit code ${code}`;
        if (first) {
          first = false;
          rejectReady(notReady(spec.label, how, early));
          return;
        }
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
        const next = afterExit(spec, restarts.length, how);
        if (next.action === 'give up') {
          onGiveUp(spec.label, next.reason);
          return;
        }
        if (next.action === 'keep trying') down = true;
        write(spec.label, next.line, 'err');
        setTimeout(() => {
          if (!stopping) launch();
        }, next.delayMs);
      });
    };

    // Once: a second SIGTERM tells a service to skip its graceful stop (a replica scaled
    // away, then the whole lab stopping, asks twice).
    let stopped: Promise<void> | undefined;
    const stopCurrent = (graceMs = 20_000): Promise<void> => {
      stopping = true;
      stopped ??= current ? stopProcess(current, graceMs) : Promise.resolve();
      return stopped;
    };

    launch();
  });
}

function spawnChild(spec: ChildSpec, args: readonly string[]): ChildProcess {
  return spawn(spec.command, [...args], {
    // Handed down whole: a child reads its settings (flags aside) as its parent did.
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which
    // then stops the children in pipeline order.
    detached: true,
  });
}

type AfterExit =
  | { readonly action: 'restart' | 'keep trying'; readonly delayMs: number; readonly line: string }
  | { readonly action: 'give up'; readonly reason: string };

/**
 * What follows a child's unexpected exit, `how` it stopped, after `restarts` exits in the
 * last minute: a restart with a growing delay, past the usual restarts either retrying while
 * saying what is down (`keepTrying`) or giving up.
 */
function afterExit(spec: ChildSpec, restarts: number, how: string): AfterExit {
  if (spec.restart && spec.keepTrying && restarts > MAX_RESTARTS) {
    const delayMs = Math.min(250 * 2 ** (restarts - 1), spec.keepTrying.maxDelayMs);
    return {
      action: 'keep trying',
      delayMs,
      line: `stopped (${how}) ${restarts} times in a minute: ${spec.keepTrying.what} is down; the rest keeps running; retrying in ${delayMs / 1000} s`,
    };
  }
  if (!spec.restart || restarts > MAX_RESTARTS) {
    return {
      action: 'give up',
      reason: `stopped (${how})${spec.restart ? ` ${restarts} times in a minute` : ''}`,
    };
  }
  const delayMs = 250 * 2 ** (restarts - 1);
  return { action: 'restart', delayMs, line: `stopped (${how}); restarting in ${delayMs} ms` };
}

/** SIGTERM, then SIGKILL after graceMs; resolves once it has exited. */
function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A child that stopped before it was ready, with its last words. */
function notReady(label: string, how: string, early: readonly string[]): SupervisorError {
  const said = early
    .filter((l) => l.trim())
    .slice(-3)
    .join('\n');
  return new SupervisorError(
    'SUP_ERR_CHILD_NOT_READY',
    `${label} stopped before it was ready (${how})${said ? `:\n${said}` : ''}`,
  );
}
