/** How the UI writes times, sizes and span attributes. Pure: no DOM. */
import { formatChange, formatDuration } from '../../analysis/index.js';

/** Durations read the same in the UI as in `tracelab analyze`: 800 µs, 12.5 ms, 4.2 s, 37 s. */
export { formatDuration };
/** Changes too: "+1.2 s (+35 %)", "+11 s (×1,250)", "+11 s" from under a millisecond. */
export { formatChange };

/** A wall-clock time in microseconds since the epoch, local time with milliseconds. */
export function formatClock(us: number): string {
  const d = new Date(us / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A date and time for result lists: "Nov 25 15:41:07". */
export function formatDateTime(us: number): string {
  const d = new Date(us / 1000);
  const month = d.toLocaleString('en', { month: 'short' });
  return `${month} ${d.getDate()} ${formatClock(us).slice(0, 8)}`;
}

/** How long ago, in words: "just now", "42 s ago", "5 min ago", "3 h ago". */
export function formatAgo(us: number, nowUs: number): string {
  const s = Math.max(0, Math.round((nowUs - us) / 1_000_000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/**
 * A span attribute's value as text, with the resource monitor's figures in their units:
 * `resource.cpu.avg` 156.8 → "156.8 % CPU", `resource.memory.max_mb` 67.7 → "67.7 MB",
 * `resource.cpu_bound` true → "cpu-bound", `resource.cpu.measured` false → "too short to
 * measure"; durations by their suffix, `tracelab.queue.wait_us` 4200000 → "4.2 s".
 */
export function formatAttribute(key: string, value: string | number | boolean): string {
  // The span's CPU is not a CPU figure: the span was too short to measure (no figures).
  if (key === 'resource.cpu.measured' && typeof value === 'boolean') {
    return value ? 'measured' : 'too short to measure';
  }
  if (key === 'resource.cpu.threads' && typeof value === 'number') {
    return `${value} thread${value === 1 ? '' : 's'}`;
  }
  if (key === 'resource.cpu.source' && typeof value === 'string') {
    return value === 'thread' ? "the span's own threads" : 'the whole process';
  }
  if (key.startsWith('resource.') && typeof value === 'number') {
    if (key.startsWith('resource.cpu.')) return `${value.toFixed(1)} % CPU`;
    if (key.startsWith('resource.memory.') && key.endsWith('_mb')) return `${value.toFixed(1)} MB`;
  }
  if (key === 'resource.cpu_bound' && typeof value === 'boolean') {
    return value ? 'cpu-bound' : 'not cpu-bound';
  }
  if (key === 'resource.memory_threshold_exceeded' && typeof value === 'boolean') {
    return value ? 'memory threshold exceeded' : 'under the memory threshold';
  }
  if (key.endsWith('_us') && typeof value === 'number') return formatDuration(value);
  // `tracelab.queue.wait_ms`, in traces stored before the wait was in microseconds.
  if (key.endsWith('_ms') && typeof value === 'number') return formatDuration(value * 1000);
  return String(value);
}
