import type { Redis } from 'ioredis';
import { isServiceKind } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { isIntensity } from './plan.js';
import type { Intensity } from './types.js';

/** Intensities forced at run time, by service. */
export type ForcedIntensities = Partial<Record<ServiceKind, Intensity>>;

/**
 * Intensities switched while the lab runs live in one Redis hash (`<prefix>intensities`,
 * field `<service>`), which every service reads now and then, as it reads the run-time
 * faults: the switch reaches every replica, whoever started it. A service with no field
 * runs what its flags say (`--intensity`, else its mix).
 */
export interface IntensityState {
  read(): Promise<ForcedIntensities>;
  /** `null` removes the service's switch: back to its flags. */
  set(service: ServiceKind, intensity: Intensity | null): Promise<void>;
  clear(): Promise<void>;
}

export function redisIntensityState(redis: Redis, keyPrefix: string): IntensityState {
  const key = `${keyPrefix}intensities`;
  return {
    async read() {
      const out: ForcedIntensities = {};
      for (const [service, value] of Object.entries(await redis.hgetall(key))) {
        // A field written by hand and wrong is ignored: the admin endpoint never writes one.
        if (isServiceKind(service) && isIntensity(value)) out[service] = value;
      }
      return out;
    },
    async set(service, intensity) {
      if (intensity === null) await redis.hdel(key, service);
      else await redis.hset(key, service, intensity);
    },
    async clear() {
      await redis.del(key);
    },
  };
}

export interface IntensityWatch {
  /** The intensity forced on this service now, if any. */
  current(): Intensity | undefined;
  close(): void;
}

/** One service's forced intensity, read every `refreshMs`; Redis away keeps the last read. */
export function watchIntensity(
  state: IntensityState,
  service: ServiceKind,
  refreshMs = 1000,
): IntensityWatch {
  let forced: Intensity | undefined;
  const refresh = () =>
    state.read().then(
      (all) => {
        forced = all[service];
      },
      () => undefined,
    );
  void refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  return { current: () => forced, close: () => clearInterval(timer) };
}
