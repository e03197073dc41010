import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { describe, test } from 'node:test';
import { CLI, runCli } from '../helpers/cli.js';
import { getTrace } from '../helpers/jaeger.js';
import { descendants, isRunning } from '../helpers/processes.js';
import type { ProcInfo } from '../helpers/processes.js';
import { REDIS_URL } from '../helpers/redis.js';
import { ON_FREE_PORTS, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const has = (command: string, arg: string) =>
  spawnSync(command, [arg], { stdio: 'ignore' }).status === 0;

/** Everything `up` started, as /proc shows it, with the programs the test expects among them. */
function startedBy(up: ChildProcess, expect: readonly RegExp[]): ProcInfo[] {
  const procs = descendants(up.pid!);
  for (const re of expect) {
    assert.ok(
      procs.some((p) => re.test(p.cmdline)),
      `no process matching ${re} under tracelab up; found:\n${procs.map((p) => p.cmdline).join('\n')}`,
    );
  }
  return procs;
}

/** SIGKILLs `up` (no handler of its own runs) and requires all it started gone within 5 s. */
async function killAndExpectAllGone(up: ChildProcess, procs: readonly ProcInfo[]): Promise<void> {
  const exited = new Promise((r) => up.once('exit', r));
  up.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  try {
    await waitFor(
      'every process tracelab up started to stop',
      () => procs.every((p) => !isRunning(p)),
      5000,
    );
  } finally {
    // Whatever is left is this test's doing: do not leave it to the next one.
    for (const p of procs) if (isRunning(p)) process.kill(p.pid, 'SIGKILL');
  }
  const left = procs.filter(isRunning).map((p) => `${p.pid} ${p.cmdline}`);
  assert.deepEqual(left, [], `still running ${Date.now() - killedAt} ms after SIGKILL`);
}

describe('tracelab up is SIGKILLed: nothing it started outlives it', () => {
  test('the collector, the four services and the private redis-server', async (t) => {
    if (!has('redis-server', '--version')) {
      t.skip('redis-server is not installed (apt-get install redis-server)');
      return;
    }
    // A Redis named with --redis-url must answer; the private one is for when nothing answers
    // at the default 127.0.0.1:6379. A network namespace of its own gives `up` a loopback
    // where nothing listens, while its processes stay visible here in /proc.
    if (spawnSync('unshare', ['--net', 'ip', 'link', 'set', 'lo', 'up']).status !== 0) {
      t.skip('cannot make a network namespace (unshare --net, ip link): needs root and iproute2');
      return;
    }
    const up = spawn(
      'unshare',
      [
        '--net',
        'sh',
        '-c',
        'ip link set lo up && exec "$0" "$@"',
        process.execPath,
        CLI,
        'up',
        ...ON_FREE_PORTS,
        '--workload-scale',
        '0.02',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: '', NO_COLOR: '1' } },
    );
    const output = collect(up);
    await waitFor(
      'tracelab up to be up',
      () => {
        if (up.exitCode !== null) throw new Error(`it exited with ${up.exitCode}:\n${output()}`);
        return /tracelab is up[\s\S]*Ctrl-C/.test(output());
      },
      90_000,
      100,
    ).catch((err: Error) => {
      up.kill('SIGTERM');
      throw err;
    });
    assert.match(output(), /private redis-server: keeps nothing/);
    const procs = startedBy(up, [
      /^redis-server /,
      /main\.js collector /,
      /main\.js service api /,
      /main\.js service processing /,
      /main\.js service notification /,
      /main\.js service analytics /,
    ]);
    await killAndExpectAllGone(up, procs);
  });

  test('the Kafka test broker it starts for --bus kafka', async (t) => {
    if (!has('kcat', '-V')) {
      t.skip('kcat is not installed (apt-get install -y kcat)');
      return;
    }
    const prev = process.env.KAFKA_BROKERS;
    delete process.env.KAFKA_BROKERS;
    let sys: RunningSystem;
    try {
      sys = await startSystem(['--bus', 'kafka']);
    } finally {
      if (prev !== undefined) process.env.KAFKA_BROKERS = prev;
    }
    try {
      assert.match(sys.output(), /Kafka test broker at 127\.0\.0\.1:\d+/);
      const procs = startedBy(sys.child, [
        /^kcat /,
        /main\.js collector /,
        /main\.js service api /,
      ]);
      await killAndExpectAllGone(sys.child, procs);
    } finally {
      await sys.stop();
    }
  });
});

test('a collector that dies comes back on the port it first got: spans keep arriving', async () => {
  // --otlp-port 0 and --http-port 0: a fresh start would pick other ports.
  const sys = await startSystem();
  try {
    const otlpUrl = sys.otlpUrl;
    const collectorPid = sys.pid('collector');
    const before = sys.output().length;
    process.kill(collectorPid, 'SIGKILL');
    await waitFor(
      'the collector to restart',
      () => /collector +\| collector: query API on/.test(sys.output().slice(before)),
      30_000,
      100,
    );
    const again = sys.output().slice(before);
    assert.match(again, /collector +\| stopped \(signal SIGKILL\); restarting/);
    assert.equal(/OTLP\/HTTP receiver on (\S+)/.exec(again)?.[1], otlpUrl);
    assert.equal(/query API on (\S+)/.exec(again)?.[1], sys.queryUrl);

    // The services were told the first address; their spans reach the new collector there.
    const a = await postOrder(sys.apiUrl, { item: 'after-restart', quantity: 1 });
    await waitForCompleted(sys.apiUrl, [a.id]);
    const services = await waitFor(
      'the trace of an order sent after the restart, from all five services',
      async () => {
        const trace = await getTrace(sys.queryUrl, a.traceId);
        const names = new Set(Object.values(trace?.processes ?? {}).map((p) => p.serviceName));
        return names.size === 5 ? [...names].sort() : undefined;
      },
      30_000,
      250,
    );
    assert.deepEqual(services, [
      'analytics-service',
      'api-service',
      'inventory-service',
      'notification-service',
      'processing-service',
    ]);
  } finally {
    await sys.stop();
  }
});

test('a child that stops before it is ready: up names it, says why, exits non-zero, leaves nothing', async () => {
  const busy = await occupyPort();
  const port = (busy.address() as { port: number }).port;
  try {
    const up = spawn(
      process.execPath,
      [
        CLI,
        'up',
        ...ON_FREE_PORTS,
        '--api-port',
        String(port),
        '--redis-url',
        REDIS_URL,
        '--key-prefix',
        `tltest-notready-${process.pid}:`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    const output = collect(up);
    // Its children, seen while it runs: the consumers are up before the API is started.
    const seen = new Map<number, ProcInfo>();
    const watch = setInterval(() => {
      // A zombie's command line reads empty: keep the one read while it ran.
      for (const p of descendants(up.pid!)) if (p.cmdline) seen.set(p.pid, p);
    }, 20);
    const code = await new Promise<number | null>((r) => up.once('exit', r));
    clearInterval(watch);
    assert.notEqual(code, 0, output());
    assert.notEqual(code, null, output());
    assert.match(
      output(),
      /tracelab: api-service stopped before it was ready \(exit code \d+\):\n.*EADDRINUSE/,
    );
    assert.doesNotMatch(output(), /tracelab is up/);
    assert.ok(
      [...seen.values()].some((p) => /main\.js service processing /.test(p.cmdline)),
      'the consumers had started',
    );
    const left = [...seen.values()].filter(isRunning).map((p) => p.cmdline);
    assert.deepEqual(left, []);
  } finally {
    busy.close();
  }
});

test('up with a collector port in use names the collector', async () => {
  const busy = await occupyPort();
  try {
    const r = await runCli([
      'up',
      ...ON_FREE_PORTS,
      '--otlp-port',
      String((busy.address() as { port: number }).port),
      '--redis-url',
      REDIS_URL,
      // Its own: up leases its key prefix before it starts the collector.
      '--key-prefix',
      `tltest-otlpbusy-${process.pid}:`,
    ]);
    assert.notEqual(r.code, 0, r.stderr);
    assert.notEqual(r.code, null, r.stderr);
    assert.match(
      r.stderr,
      /tracelab: collector stopped before it was ready \(exit code \d+\):\n.*EADDRINUSE/,
    );
  } finally {
    busy.close();
  }
});

function collect(child: ChildProcess): () => string {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}

function occupyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}
