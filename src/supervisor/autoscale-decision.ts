/**
 * When the autoscaler changes a consumer's replica count: pure, one sample at a time, so the
 * rules (threshold held for a window, idle for a while, bounds, cool-down) are tested on
 * fixtures and the loop around it only reads the bus and calls the replica control.
 */

export interface AutoscaleBounds {
  readonly min: number;
  readonly max: number;
}

export interface AutoscaleSettings {
  /** Backlog (messages not yet delivered plus delivered and not acknowledged) that is too much. */
  readonly lag: number;
  /** How long the backlog must stay above `lag` before a replica is added. */
  readonly windowMs: number;
  /** How long the backlog must stay at 0 before a replica is removed. */
  readonly idleMs: number;
  /** No change within this long of the last one: a new replica needs time to drain. */
  readonly cooldownMs: number;
}

/** A service's own threshold and window over the flags' (set through POST /autoscale). */
export type AutoscaleTuning = Partial<Pick<AutoscaleSettings, 'lag' | 'windowMs'>>;

export const DEFAULT_AUTOSCALE_SETTINGS: AutoscaleSettings = {
  lag: 50,
  windowMs: 5_000,
  idleMs: 15_000,
  cooldownMs: 10_000,
};

/** What the decision remembers between samples, per service. */
export interface WatchState {
  /** Since when the backlog has stayed above the threshold. */
  readonly highSince?: number;
  /** Since when the backlog has stayed at 0. */
  readonly idleSince?: number;
  /** When the last change was asked for. */
  readonly changedAt?: number;
}

export interface Sample {
  /** ms since the epoch. */
  readonly at: number;
  readonly backlog: number;
  readonly replicas: number;
}

export interface ScaleChange {
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

export interface Decision {
  readonly state: WatchState;
  readonly change?: ScaleChange;
}

export function decide(input: {
  readonly bounds: AutoscaleBounds;
  readonly settings: AutoscaleSettings;
  readonly state: WatchState;
  readonly sample: Sample;
}): Decision {
  const { bounds, settings, sample } = input;
  const { at, backlog, replicas } = sample;
  const high = backlog > settings.lag;
  const state: WatchState = {
    ...(high ? { highSince: input.state.highSince ?? at } : {}),
    ...(backlog === 0 ? { idleSince: input.state.idleSince ?? at } : {}),
    ...(input.state.changedAt !== undefined ? { changedAt: input.state.changedAt } : {}),
  };
  // Bounds first, cool-down or not: they are what the user asked for.
  if (replicas < bounds.min) {
    return changed(at, {
      from: replicas,
      to: bounds.min,
      reason: `below the minimum ${bounds.min}`,
    });
  }
  if (replicas > bounds.max) {
    return changed(at, {
      from: replicas,
      to: bounds.max,
      reason: `above the maximum ${bounds.max}`,
    });
  }
  if (state.changedAt !== undefined && at - state.changedAt < settings.cooldownMs) return { state };
  if (
    state.highSince !== undefined &&
    at - state.highSince >= settings.windowMs &&
    replicas < bounds.max
  ) {
    return changed(at, {
      from: replicas,
      to: replicas + 1,
      reason: `backlog ${backlog} above ${settings.lag} for ${seconds(at - state.highSince)}`,
    });
  }
  if (
    state.idleSince !== undefined &&
    at - state.idleSince >= settings.idleMs &&
    replicas > bounds.min
  ) {
    return changed(at, {
      from: replicas,
      to: replicas - 1,
      reason: `backlog 0 for ${seconds(at - state.idleSince)}`,
    });
  }
  return { state };
}

/** A change restarts both windows: the next one is judged on what the new count does. */
function changed(at: number, change: ScaleChange): Decision {
  return { state: { changedAt: at }, change };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
