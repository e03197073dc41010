import type { LagEntry } from '../bus/index.js';
import { decide } from './autoscale-decision.js';
import type {
  AutoscaleBounds,
  AutoscaleSettings,
  AutoscaleTuning,
  WatchState,
} from './autoscale-decision.js';
import { AUTOSCALED_KINDS, groupOf } from './autoscale-spec.js';
import type { AutoscaleBoundsMap, AutoscaledKind } from './autoscale-spec.js';
import type { ReplicaControl } from './scale.js';

/** One change the autoscaler made (or tried: `error` says why it did not happen). */
export interface AutoscaleEvent {
  /** ms since the epoch. */
  readonly at: number;
  readonly service: AutoscaledKind;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly backlog: number;
  readonly error?: string;
}

/** What GET /autoscale answers. */
export interface AutoscaleView {
  readonly settings: AutoscaleSettings;
  readonly services: AutoscaleBoundsMap;
  /** Services with a threshold or window of their own, over `settings`. */
  readonly tuning: Partial<Record<AutoscaledKind, AutoscaleTuning>>;
  /** Each autoscaled service's replica count and last backlog read. */
  readonly current: Partial<Record<AutoscaledKind, { replicas: number; backlog: number | null }>>;
  /** The last events, oldest first. */
  readonly events: readonly AutoscaleEvent[];
}

export interface Autoscaler {
  view(): AutoscaleView;
  /** Bounds, and optionally a threshold or window of its own (else the flags'). */
  set(service: AutoscaledKind, bounds: AutoscaleBounds, tuning?: AutoscaleTuning): AutoscaleView;
  /** No autoscaling of the service (of every one without): its replicas stay as they are. */
  off(service?: AutoscaledKind): AutoscaleView;
  stop(): void;
}

/** Events kept for GET /autoscale and the UI's marks. */
export const EVENTS_KEPT = 100;

export interface AutoscalerOptions {
  readonly settings: AutoscaleSettings;
  readonly bounds: AutoscaleBoundsMap;
  readonly replicas: ReplicaControl;
  /** The bus's consumer lag (Bus.lag). */
  readonly readLag: () => Promise<readonly LagEntry[]>;
  readonly log: (line: string) => void;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * The loop around the decision: every second, the backlog of each autoscaled service's group
 * (lag + pending, Kafka's partitions summed), one decision per service, a change made through
 * the replica control (which stops a replica gracefully), and the event kept and logged.
 */
export function startAutoscaler(options: AutoscalerOptions): Autoscaler {
  const now = options.now ?? Date.now;
  const bounds: AutoscaleBoundsMap = { ...options.bounds };
  const states = new Map<AutoscaledKind, WatchState>();
  const tuning = new Map<AutoscaledKind, AutoscaleTuning>();
  const backlogs = new Map<AutoscaledKind, number>();
  const events: AutoscaleEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const record = (event: AutoscaleEvent) => {
    events.push(event);
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
    const what = `${event.service} ${event.from} → ${event.to} replicas: ${event.reason}`;
    options.log(event.error ? `could not scale ${what} (${event.error})` : `scaled ${what}`);
  };

  const tick = async () => {
    const watched = AUTOSCALED_KINDS.filter((k) => bounds[k]);
    if (watched.length === 0) return;
    const lag = await options.readLag();
    for (const service of watched) {
      const b = bounds[service];
      if (!b || stopped) continue;
      const backlog = backlogOf(lag, service);
      backlogs.set(service, backlog);
      const replicas = options.replicas.current()[service];
      const at = now();
      const decision = decide({
        bounds: b,
        settings: { ...options.settings, ...tuning.get(service) },
        state: states.get(service) ?? {},
        sample: { at, backlog, replicas },
      });
      states.set(service, decision.state);
      if (!decision.change) continue;
      const { from, to, reason } = decision.change;
      try {
        await options.replicas.scale(service, to);
        record({ at, service, from, to, reason, backlog });
      } catch (err) {
        record({ at, service, from, to, reason, backlog, error: (err as Error).message });
      }
    }
  };
  const loop = () => {
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) =>
          options.log(`cannot read the consumer lag: ${(err as Error).message}`),
        )
        .finally(() => {
          if (!stopped) loop();
        });
    }, options.intervalMs ?? 1000);
  };
  loop();

  const view = (): AutoscaleView => {
    const current: AutoscaleView['current'] = {};
    const counts = options.replicas.current();
    for (const k of AUTOSCALED_KINDS) {
      if (bounds[k]) current[k] = { replicas: counts[k], backlog: backlogs.get(k) ?? null };
    }
    return {
      settings: options.settings,
      services: { ...bounds },
      tuning: Object.fromEntries(tuning),
      current,
      events: [...events],
    };
  };
  return {
    view,
    set(service, b, t) {
      bounds[service] = b;
      states.delete(service);
      if (t) tuning.set(service, t);
      else tuning.delete(service);
      return view();
    },
    off(service) {
      for (const k of service ? [service] : AUTOSCALED_KINDS) {
        delete bounds[k];
        states.delete(k);
        tuning.delete(k);
      }
      return view();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Messages waiting for the service's group: not yet delivered, plus delivered and not acked. */
export function backlogOf(lag: readonly LagEntry[], service: AutoscaledKind): number {
  const g = groupOf(service);
  if (!g) return 0;
  return lag
    .filter((e) => e.group === g.group && e.topic === g.topic)
    .reduce((sum, e) => sum + e.lag + (e.pending ?? 0), 0);
}
