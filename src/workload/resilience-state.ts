import type { Redis } from 'ioredis';
import { describeResilience, parseResilienceSettings } from './resilience.js';
import type { ResilienceSettings } from './resilience.js';

/**
 * Inventory call policies switched while the lab runs, in one Redis hash
 * (`<prefix>resilience`, one field per `k=v` word) that every processing replica reads now
 * and then, as it reads the run-time faults. No field: the flags' value.
 */
export interface ResilienceState {
  read(): Promise<ResilienceSettings>;
  set(settings: ResilienceSettings): Promise<void>;
  clear(): Promise<void>;
}

export function redisResilienceState(redis: Redis, keyPrefix: string): ResilienceState {
  const key = `${keyPrefix}resilience`;
  return {
    async read() {
      const out: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(await redis.hgetall(key))) {
        // A field written by hand and wrong is ignored: the admin endpoint never writes one.
        try {
          Object.assign(out, parseResilienceSettings([`${name}=${value}`]));
        } catch {
          // ignored, as said
        }
      }
      return out;
    },
    async set(settings) {
      const fields = describeResilience(settings).flatMap((w) => w.split('='));
      if (fields.length > 0) await redis.hset(key, ...fields);
    },
    async clear() {
      await redis.del(key);
    },
  };
}

export interface ResilienceWatch {
  /** What was switched at run time, as last read. */
  current(): ResilienceSettings;
  close(): void;
}

/** The run-time switches, read every `refreshMs`; Redis away keeps the last read. */
export function watchResilience(state: ResilienceState, refreshMs = 1000): ResilienceWatch {
  let last: ResilienceSettings = {};
  const refresh = () =>
    state.read().then(
      (all) => {
        last = all;
      },
      () => undefined,
    );
  void refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  return { current: () => last, close: () => clearInterval(timer) };
}
