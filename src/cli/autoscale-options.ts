import { opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import { DEFAULT_AUTOSCALE_SETTINGS, parseAutoscale } from '../supervisor/index.js';
import type { AutoscaleBoundsMap, AutoscaleSettings } from '../supervisor/index.js';

const D = DEFAULT_AUTOSCALE_SETTINGS;

/** `tracelab up`'s autoscaling flags: which consumers, and when a replica is added or removed. */
export const autoscaleOptions: readonly OptionSpec[] = [
  {
    name: 'autoscale',
    type: 'list',
    default: [],
    description:
      'autoscale a consumer between MIN and MAX replicas (processing=1..3; processing, notification or analytics): one more while its backlog stays above --autoscale-lag, one fewer when idle',
  },
  {
    name: 'autoscale-lag',
    type: 'number',
    env: 'TRACELAB_AUTOSCALE_LAG',
    default: D.lag,
    min: 0,
    integer: true,
    description:
      "backlog (messages not yet delivered + not yet acknowledged in the service's group) above which the autoscaler adds a replica",
  },
  {
    name: 'autoscale-window-ms',
    type: 'number',
    env: 'TRACELAB_AUTOSCALE_WINDOW_MS',
    default: D.windowMs,
    min: 0,
    integer: true,
    description: 'how long the backlog must stay above --autoscale-lag before a replica is added',
  },
  {
    name: 'autoscale-idle-ms',
    type: 'number',
    env: 'TRACELAB_AUTOSCALE_IDLE_MS',
    default: D.idleMs,
    min: 0,
    integer: true,
    description: 'how long the backlog must stay at 0 before a replica is removed',
  },
  {
    name: 'autoscale-cooldown-ms',
    type: 'number',
    env: 'TRACELAB_AUTOSCALE_COOLDOWN_MS',
    default: D.cooldownMs,
    min: 0,
    integer: true,
    description:
      'no other change within this long of the last one (a new replica needs time to drain)',
  },
];

export function autoscaleFrom(values: OptionValues): {
  bounds: AutoscaleBoundsMap;
  settings: AutoscaleSettings;
} {
  return {
    bounds: parseAutoscale(opt.list(values, 'autoscale')),
    settings: {
      lag: opt.num(values, 'autoscale-lag'),
      windowMs: opt.num(values, 'autoscale-window-ms'),
      idleMs: opt.num(values, 'autoscale-idle-ms'),
      cooldownMs: opt.num(values, 'autoscale-cooldown-ms'),
    },
  };
}
