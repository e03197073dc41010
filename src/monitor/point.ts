import type { ResourcePoint } from './aggregate.js';

/**
 * One reading of the whole process, on whichever thread calls it. The time comes first: read
 * right after a thread's CPU time (monitor.ts), the two describe the same instant.
 */
export function readPoint(): ResourcePoint {
  const timeMs = performance.timeOrigin + performance.now();
  const cpu = process.cpuUsage();
  return { timeMs, cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss() };
}
