/**
 * How long a failed message waits before it is delivered again: exponential from 100 ms,
 * capped at 5 s, so a passing fault (Redis restarting) clears quickly and a message that
 * always fails reaches its dead-letter limit within seconds, not minutes.
 */
export function redeliveryDelayMs(deliveries: number): number {
  return Math.min(100 * 2 ** Math.max(0, deliveries - 1), 5000);
}

/** A sleep that a stop cuts short: shutdown never waits out a backoff. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
