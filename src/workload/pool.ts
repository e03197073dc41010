import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WorkloadError } from './errors.js';
import type { PrimeChunk, PrimeResult } from './operations/cpu-kernels.js';

/** A chunk's result, and the CPU time the worker thread spent on it. */
export interface PoolResult {
  readonly value: PrimeResult;
  /** The worker's thread id. */
  readonly thread: number;
  /** ns on a CPU; undefined where the worker cannot read its own CPU time. */
  readonly cpuNs: number | undefined;
}

/** Worker threads for heavy and severe CPU work, so one process really uses several cores. */
export interface CpuPool {
  readonly size: number;
  run(chunk: PrimeChunk): Promise<PoolResult>;
  close(): Promise<void>;
}

interface Task {
  readonly id: number;
  readonly chunk: PrimeChunk;
  resolve(result: PoolResult): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | undefined;
}

const WORKER_FILE = path.join(__dirname, 'cpu-worker.js');

/** Workers start on first use; idle workers are unref'd so they never keep the process alive. */
export function createCpuPool(size = availableParallelism()): CpuPool {
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const worker = new Worker(WORKER_FILE);
    worker.unref();
    const slot: Slot = { worker, task: undefined };
    const fail = (err: Error): void => {
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      const task = slot.task;
      slot.task = undefined;
      task?.reject(new WorkloadError('WL_ERR_WORKER_FAILED', err.message, { cause: err }));
      if (!closed) pump();
    };
    worker.on(
      'message',
      (reply: {
        id?: unknown;
        ok?: unknown;
        result?: PrimeResult;
        cpuNs?: unknown;
        error?: string;
      }) => {
        const task = slot.task;
        if (!task || reply.id !== task.id) return;
        slot.task = undefined;
        worker.unref();
        if (reply.ok === true && reply.result) {
          const cpuNs = typeof reply.cpuNs === 'number' ? reply.cpuNs : undefined;
          task.resolve({ value: reply.result, thread: worker.threadId, cpuNs });
        } else task.reject(new WorkloadError('WL_ERR_WORKER_FAILED', reply.error ?? 'no result'));
        pump();
      },
    );
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closed) fail(new Error(`worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  }

  function pump(): void {
    while (queue.length > 0) {
      let slot = slots.find((s) => s.task === undefined);
      if (!slot && slots.length < size) slot = spawn();
      if (!slot) return;
      const task = queue.shift()!;
      slot.task = task;
      // A busy worker keeps the process alive until its result is in.
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, chunk: task.chunk });
    }
  }

  return {
    size,
    run(chunk) {
      if (closed) return Promise.reject(new WorkloadError('WL_ERR_POOL_CLOSED'));
      return new Promise<PoolResult>((resolve, reject) => {
        queue.push({ id: nextId++, chunk, resolve, reject });
        pump();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const task of queue.splice(0)) task.reject(new WorkloadError('WL_ERR_POOL_CLOSED'));
      const all = slots.splice(0);
      for (const slot of all) slot.task?.reject(new WorkloadError('WL_ERR_POOL_CLOSED'));
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}
