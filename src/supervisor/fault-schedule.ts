// The generator alone: the workload's index would load its runner and OpenTelemetry.
import { mulberry32 } from '../workload/index.js';
import { FaultSpecError } from '../faults/index.js';
import type { FaultSetting } from '../faults/index.js';

/**
 * A game day: every `everyMs`, one fault from the menu is switched on, and the one before it
 * off. Seeded, so a schedule can be run again exactly. Pure: the supervisor plays it.
 */
export interface ScheduleStep {
  /** Since the schedule started (ms). */
  readonly atMs: number;
  readonly settings: readonly FaultSetting[];
}

const GAME_DAY_MENU: readonly FaultSetting[] = [
  { service: 'processing', kind: 'crash', value: 0.05 },
  { service: 'processing', kind: 'latency', value: 1500 },
  { service: 'processing', kind: 'leak', value: 1024 ** 2 },
  { service: 'notification', kind: 'latency', value: 2000 },
  { service: 'notification', kind: 'error', value: 0.2 },
  { service: 'analytics', kind: 'error', value: 0.1 },
  { service: 'analytics', kind: 'crash', value: 0.05 },
  { service: 'api', kind: 'duplicate', value: 5 },
];

export function faultSchedule(
  seed: number,
  everyMs: number,
  steps: number,
  menu: readonly FaultSetting[] = GAME_DAY_MENU,
): ScheduleStep[] {
  const random = mulberry32(seed);
  const out: ScheduleStep[] = [];
  let previous: FaultSetting | undefined;
  for (let i = 0; i < steps; i++) {
    const next = menu[Math.floor(random() * menu.length)]!;
    const settings: FaultSetting[] = [];
    if (previous && (previous.service !== next.service || previous.kind !== next.kind)) {
      settings.push({ ...previous, value: 0 });
    }
    settings.push(next);
    out.push({ atMs: i * everyMs, settings });
    previous = next;
  }
  return out;
}

/** `--fault-schedule seed=7,every=30s` → its seed and period. */
export function parseScheduleSpec(text: string): { seed: number; everyMs: number } {
  const parts = Object.fromEntries(
    text.split(',').map((p) => {
      const [k, v] = p.split('=');
      return [k?.trim() ?? '', v?.trim() ?? ''];
    }),
  );
  const seed = Number(parts.seed);
  const every = /^(\d+)(ms|s|m)?$/.exec(parts.every ?? '30s');
  const everyMs = every
    ? Number(every[1]) * ({ ms: 1, s: 1000, m: 60_000 }[every[2] ?? 's'] ?? 1000)
    : NaN;
  if (!Number.isInteger(seed) || seed < 0 || !(everyMs >= 1000)) {
    throw new FaultSpecError(
      `--fault-schedule "${text}": write seed=<whole number>[,every=<duration of 1s or more>], e.g. seed=7,every=30s`,
    );
  }
  return { seed, everyMs };
}
