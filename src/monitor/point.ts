import type { ResourcePoint } from './aggregate.js';

/** One reading of the whole process, on whichever thread calls it. */
export function readPoint(): ResourcePoint {
  const cpu = process.cpuUsage();
  return {
    timeMs: performance.timeOrigin + performance.now(),
    cpuUs: cpu.user + cpu.system,
    rssBytes: process.memoryUsage.rss(),
  };
}
