import type { Redis } from 'ioredis';
import { parseFaultSetting } from './spec.js';
import type { FaultSetting } from './spec.js';

/**
 * Faults switched at run time live in one Redis hash (`<prefix>faults`, field
 * `<service>.<kind>`), which every service reads now and then: the same switch reaches
 * processes started by `tracelab up` and containers alike. A value of 0 switches off a fault
 * that a flag switched on.
 */
export interface FaultState {
  read(): Promise<FaultSetting[]>;
  set(settings: readonly FaultSetting[]): Promise<void>;
  /** Back to what each service's flags say. */
  clear(): Promise<void>;
}

export function redisFaultState(redis: Redis, keyPrefix: string): FaultState {
  const key = `${keyPrefix}faults`;
  return {
    async read() {
      const fields = await redis.hgetall(key);
      const out: FaultSetting[] = [];
      for (const [name, value] of Object.entries(fields)) {
        try {
          out.push(parseFaultSetting(`${name}=${value}`));
        } catch {
          // Written by hand and wrong: ignored, as the admin endpoint never writes one.
        }
      }
      return out;
    },
    async set(settings) {
      if (settings.length === 0) return;
      await redis.hset(
        key,
        Object.fromEntries(settings.map((s) => [`${s.service}.${s.kind}`, String(s.value)])),
      );
    },
    async clear() {
      await redis.del(key);
    },
  };
}
