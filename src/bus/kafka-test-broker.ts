import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { BUS_ERRORS, BusError } from './errors.js';

export interface TestBroker {
  readonly brokers: string[];
  stop(): Promise<void>;
}

/** The broker addresses in kcat's log line `... replaced with 127.0.0.1:41231,...`. */
export function parseMockBrokers(output: string): string[] | undefined {
  const m = /replaced with ([0-9.:,]+)/.exec(output);
  const list = m?.[1]?.split(',').filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

/**
 * An in-memory Kafka-protocol broker (librdkafka's mock cluster, hosted by Debian's kcat)
 * on random 127.0.0.1 ports: for `tracelab up --bus kafka` with no KAFKA_BROKERS, and tests.
 * Its limits: see docs/bus.md. Everything in it is lost on stop().
 */
export function startTestBroker(
  opts: {
    brokers?: number;
    timeoutMs?: number;
    /**
     * How to start kcat, e.g. through a watchdog that stops it with its parent; it must
     * pipe stdout and stderr, and exit with 127 when the command is not installed.
     */
    spawn?: (command: string, args: readonly string[]) => ChildProcess;
  } = {},
): Promise<TestBroker> {
  const launch =
    opts.spawn ??
    ((command: string, args: readonly string[]) =>
      spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const child = launch('kcat', [
    '-X',
    `test.mock.num.brokers=${opts.brokers ?? 1}`,
    '-b',
    '127.0.0.1:1',
    // A plain consumer of a keep-alive topic keeps kcat, and the cluster in it, running.
    '-C',
    '-t',
    '__broker_keepalive',
    '-q',
  ]);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(err));
    };
    const timer = setTimeout(
      () =>
        fail(
          brokerError(`the Kafka test broker did not start in time; kcat said: ${output.trim()}`),
        ),
      opts.timeoutMs ?? 10_000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      const brokers = parseMockBrokers(output);
      if (brokers && !settled) {
        settled = true;
        clearTimeout(timer);
        // Only the start-up line matters; later output is not kept.
        child.stdout?.removeAllListeners('data').resume();
        child.stderr?.removeAllListeners('data').resume();
        resolve({ brokers, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) => {
      fail(
        err.code === 'ENOENT' ? notInstalled() : brokerError(`cannot start kcat: ${err.message}`),
      );
    });
    child.once('exit', (code) =>
      fail(
        code === NOT_FOUND
          ? notInstalled()
          : brokerError(
              `the Kafka test broker (kcat) exited with ${code}; it said: ${output.trim()}`,
            ),
      ),
    );
  });
}

/** A shell's exit code for a command it cannot find; a launcher reports a missing kcat so. */
const NOT_FOUND = 127;

function notInstalled(): BusError {
  return brokerError(
    'kcat is not installed: install kcat (apt-get install -y kcat) or set KAFKA_BROKERS to a real broker',
  );
}

function brokerError(message: string): BusError {
  return new BusError(BUS_ERRORS.BUS_ERR_TEST_BROKER, message);
}
