import { parentPort, workerData } from 'node:worker_threads';
import { openSampleRing } from './ring.js';
import { readPoint } from './point.js';

/**
 * The sampler thread: reads the process's CPU time and RSS every interval into the shared
 * ring. process.cpuUsage() and RSS are process-wide, so it sees the main thread and the CPU
 * pool even while the main event loop is blocked by synchronous work.
 */
const { buffer, intervalMs } = workerData as { buffer: SharedArrayBuffer; intervalMs: number };
const ring = openSampleRing(buffer);
ring.write(readPoint());
parentPort?.postMessage('ready');
setInterval(() => ring.write(readPoint()), intervalMs);
