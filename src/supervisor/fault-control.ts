import { connectRedis } from '../bus/index.js';
import { startAdminServer } from './admin.js';
import { faultSchedule, parseScheduleSpec } from './fault-schedule.js';
import { describeFaults } from '../faults/index.js';
import type { FaultSet, FaultSetting } from '../faults/index.js';
import { redisFaultState } from '../faults/index.js';
import { redisIntensityState, redisResilienceState } from '../workload/index.js';
import type { ForcedIntensities, ResiliencePolicy } from '../workload/index.js';
import type { ReplicaControl } from './scale.js';
import type { Autoscaler } from './autoscaler.js';

export interface FaultControl {
  readonly adminUrl: string;
  /** The faults the flags switch on, for the start-up banner. */
  describe(): string;
  stop(): Promise<void>;
}

/**
 * What `up` does for what is switched at run time (faults, intensities, replica counts):
 * forgets the switches of an earlier run, serves the admin endpoint, and plays a game-day
 * schedule when one is asked for.
 */
export async function startFaultControl(options: {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly flags: FaultSet;
  /** `--intensity` flags: what a service runs when no run-time switch says otherwise. */
  readonly intensityFlags: ForcedIntensities;
  /** `--inventory-*` flags: processing's call policies when no run-time switch says otherwise. */
  readonly resilienceFlags: ResiliencePolicy;
  /** Undefined until the services run. */
  readonly replicas: () => ReplicaControl | undefined;
  readonly autoscaler: () => Autoscaler | undefined;
  readonly adminPort: number;
  readonly schedule?: string;
  readonly log: (line: string) => void;
}): Promise<FaultControl> {
  const schedule = options.schedule ? parseScheduleSpec(options.schedule) : undefined;
  const redis = await connectRedis(options.redisUrl);
  const state = redisFaultState(redis, options.keyPrefix);
  const intensities = redisIntensityState(redis, options.keyPrefix);
  const resilience = redisResilienceState(redis, options.keyPrefix);
  await Promise.all([state.clear(), intensities.clear(), resilience.clear()]);
  let admin;
  try {
    admin = await startAdminServer(options.adminPort, {
      flags: options.flags,
      state,
      intensities: { flags: options.intensityFlags, state: intensities },
      replicas: options.replicas,
      autoscaler: options.autoscaler,
      resilience: { flags: options.resilienceFlags, state: resilience },
    });
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `cannot serve the admin endpoint on 127.0.0.1:${options.adminPort} (${(err as Error).message}): give another --admin-port, or 0 for any`,
      { cause: err },
    );
  }
  let timer: NodeJS.Timeout | undefined;
  if (schedule) {
    const steps = faultSchedule(schedule.seed, schedule.everyMs, 10_000);
    const started = Date.now();
    const play = (i: number) => {
      const step = steps[i];
      if (!step) return;
      timer = setTimeout(
        () => {
          const words = step.settings.map((s: FaultSetting) =>
            s.value === 0
              ? `${s.service}.${s.kind} off`
              : `${describeFaults({ [s.service]: { [s.kind]: s.value } })[0]} on`,
          );
          state.set(step.settings).then(
            () => options.log(`schedule: ${words.join(', ')}`),
            (err: unknown) =>
              options.log(`schedule: could not switch faults: ${(err as Error).message}`),
          );
          play(i + 1);
        },
        Math.max(0, started + step.atMs - Date.now()),
      );
    };
    play(0);
    options.log(`game day: seed ${schedule.seed}, a new fault every ${schedule.everyMs / 1000} s`);
  }
  return {
    adminUrl: admin.url,
    describe: () => describeFaults(options.flags).join(', ') || 'none',
    async stop() {
      if (timer) clearTimeout(timer);
      await admin.close();
      await Promise.all([state.clear(), intensities.clear(), resilience.clear()]).catch(
        () => undefined,
      );
      redis.disconnect();
    },
  };
}
