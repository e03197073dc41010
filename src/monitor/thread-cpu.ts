import { closeSync, openSync, readSync } from 'node:fs';

/**
 * CPU time of the calling thread, from Linux's `/proc/thread-self/schedstat` (first field:
 * nanoseconds on a CPU). Every thread that loads this module (the main thread, each CPU pool
 * worker) opens its own file once and rereads it in place: about 5 µs a reading.
 *
 * The kernel only brings a running thread's counter up to date at a scheduler tick or a
 * context switch (every 4 ms at 250 Hz): read alone, it moves in 4 ms steps, and a 1 ms span
 * reads 0 % or 400 %. process.cpuUsage() (getrusage of the process) first brings the calling
 * thread's counter up to date, so the reading after it is exact to a few microseconds.
 * `npm run bench:thread-cpu` measures both.
 */
const SCHEDSTAT = '/proc/thread-self/schedstat';

/** undefined: not opened yet; null: this system has no per-thread CPU time. */
let fd: number | null | undefined;
const buffer = Buffer.alloc(96);

function open(): number | null {
  try {
    return openSync(SCHEDSTAT, 'r');
  } catch {
    return null;
  }
}

/** ns this thread has spent on a CPU, or undefined where it cannot be read (not Linux). */
export function threadCpuNs(): number | undefined {
  if (fd === undefined) fd = open();
  if (fd === null) return undefined;
  try {
    process.cpuUsage(); // brings this thread's counter up to date (see above)
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const space = buffer.indexOf(0x20);
    const ns = Number(buffer.toString('latin1', 0, space > 0 && space < n ? space : n));
    return Number.isFinite(ns) ? ns : undefined;
  } catch {
    try {
      closeSync(fd);
    } catch {
      // Already unusable: nothing more to give back.
    }
    fd = null;
    return undefined;
  }
}
