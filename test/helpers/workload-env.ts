import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { context, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  BasicTracerProvider,
} from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../../src/config/index.js';
import { keysWithPrefix } from './redis.js';

/** The real SDK with spans kept in memory, and async context so child spans find parents. */
export function memoryTracing(): {
  tracer: Tracer;
  exporter: InMemorySpanExporter;
  shutdown(): Promise<void>;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    tracer: provider.getTracer('tracelab-test'),
    exporter,
    async shutdown() {
      await provider.shutdown();
      context.disable();
      trace.disable();
    },
  };
}

/** Real Redis at its default address and a key prefix of this test run only, cleaned up after. */
export function testRedis(): {
  redis: Redis;
  prefix: string;
  keys(): Promise<string[]>;
  cleanup(): Promise<void>;
} {
  const redis = new Redis(DEFAULT_REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = `tracelab-test:${randomBytes(6).toString('hex')}:`;
  const keys = (): Promise<string[]> => keysWithPrefix(redis, prefix);
  return {
    redis,
    prefix,
    keys,
    async cleanup() {
      const all = await keys();
      if (all.length > 0) await redis.del(...all);
      await redis.quit();
    },
  };
}

/** CPU time (user + system) of the calling thread, ms; Linux clock ticks, 10 ms resolution. */
export function threadCpuMs(): number {
  return statCpuMs('/proc/thread-self/stat');
}

function statCpuMs(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 14 (utime) and 15 (stime) of proc(5) are at 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export function busyLoop(durationMs: number): void {
  const end = performance.now() + durationMs;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

/** CPU time of every thread of this process, ms, by thread id. */
export function cpuMsByThread(): Map<number, number> {
  const result = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      result.set(Number(tid), statCpuMs(`/proc/self/task/${tid}/stat`));
    } catch {
      // The thread ended while we listed them.
    }
  }
  return result;
}

/**
 * Per thread, ns on a CPU and ns runnable but waiting for one (/proc schedstat). Together they
 * are the time the thread wanted a core: other users of the machine move ns between the two,
 * not the sum.
 */
export function schedNsByThread(): Map<number, { cpuNs: number; waitNs: number }> {
  const result = new Map<number, { cpuNs: number; waitNs: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [cpuNs, waitNs] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8')
        .split(' ')
        .map(Number);
      result.set(Number(tid), { cpuNs: cpuNs!, waitNs: waitNs! });
    } catch {
      // The thread ended while we listed them.
    }
  }
  return result;
}

export interface CpuMeasure<T> {
  readonly value: T;
  readonly wallMs: number;
  /** Process CPU over the call, % of one core. */
  readonly processPercent: number;
  /** Threads other than the main one that each used at least 25 % of the process's CPU. */
  readonly busyOtherThreads: number;
  /**
   * Cores the busy threads other than the main one wanted over the call, on average: their
   * time on a CPU or waiting for one, over the wall time. Two threads busy at once give about 2, on a
   * quiet machine or a crowded one.
   */
  readonly coresWanted: number;
  /** Cores those threads got: their time on a CPU over the wall time. */
  readonly coresGot: number;
}

/** Runs `fn` and says how much CPU the process used and on how many threads. */
export async function measureCpu<T>(fn: () => Promise<T>): Promise<CpuMeasure<T>> {
  const threads0 = cpuMsByThread();
  const sched0 = schedNsByThread();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const processMs = (cpu.user + cpu.system) / 1000;
  let busyOtherThreads = 0;
  let wantedNs = 0;
  let gotNs = 0;
  const sched = schedNsByThread();
  for (const [tid, ms] of cpuMsByThread()) {
    if (tid !== process.pid && ms - (threads0.get(tid) ?? 0) >= 0.25 * processMs) {
      busyOtherThreads++;
      const now = sched.get(tid) ?? { cpuNs: 0, waitNs: 0 };
      const before = sched0.get(tid) ?? { cpuNs: 0, waitNs: 0 };
      gotNs += now.cpuNs - before.cpuNs;
      wantedNs += now.cpuNs - before.cpuNs + now.waitNs - before.waitNs;
    }
  }
  return {
    value,
    wallMs,
    processPercent: (cpu.user + cpu.system) / wallMs / 10,
    busyOtherThreads,
    coresWanted: wantedNs / 1e6 / wallMs,
    coresGot: gotNs / 1e6 / wallMs,
  };
}
