import { parentPort } from 'node:worker_threads';
import { threadCpuNs } from '../monitor/thread-cpu.js';
import { primeWork } from './operations/cpu-kernels.js';
import type { PrimeChunk } from './operations/cpu-kernels.js';

/**
 * Worker of the CPU pool: runs one chunk of prime work per message, and says how much CPU
 * time this thread spent on it (undefined where the thread cannot read its own time).
 */
interface Job {
  readonly id: number;
  readonly chunk: PrimeChunk;
}

function isJob(value: unknown): value is Job {
  const v = value as Job | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'number' &&
    typeof v.chunk === 'object' &&
    v.chunk !== null &&
    [v.chunk.start, v.chunk.count, v.chunk.passes, v.chunk.bytesPerItem].every(
      (n) => Number.isSafeInteger(n) && n >= 0,
    )
  );
}

const port = parentPort;
if (!port) throw new Error('cpu-worker must run as a worker thread');
port.on('message', (message: unknown) => {
  if (!isJob(message)) {
    port.postMessage({ id: -1, ok: false, error: 'not a job' });
    return;
  }
  try {
    const before = threadCpuNs();
    const result = primeWork(message.chunk);
    const after = threadCpuNs();
    const cpuNs = before !== undefined && after !== undefined ? after - before : undefined;
    port.postMessage({ id: message.id, ok: true, result, cpuNs });
  } catch (err) {
    port.postMessage({ id: message.id, ok: false, error: (err as Error).message });
  }
});
