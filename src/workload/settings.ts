import { ConfigError, opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import { isIntensity } from './plan.js';
import { isServiceKind, SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { INTENSITIES, mixShare, SPEC_MIXES, WORKLOAD_MODES, WORKLOAD_TYPES } from './types.js';
import type {
  Intensity,
  ServiceMix,
  WorkloadMode,
  WorkloadSettings,
  WorkloadType,
} from './types.js';

/** Options shared by every command that runs services (`tracelab up`, `tracelab service`). */
export const workloadOptions: OptionSpec[] = [
  {
    name: 'seed',
    type: 'number',
    env: 'TRACELAB_SEED',
    integer: true,
    min: 0,
    description: 'seed of the workload choices, so a run can be repeated exactly (default: random)',
  },
  {
    name: 'workload-scale',
    type: 'number',
    env: 'TRACELAB_WORKLOAD_SCALE',
    default: 1,
    description: 'multiplies the items of every workload (0.05 = a twentieth of the work)',
  },
  {
    name: 'workload',
    type: 'string',
    env: 'TRACELAB_WORKLOAD',
    default: 'spec',
    choices: WORKLOAD_MODES,
    description: "workloads to run: the spec's mixes, or none (the pipeline measures itself)",
  },
  {
    name: 'intensity',
    type: 'list',
    env: 'TRACELAB_INTENSITY',
    default: [],
    description: "fix a service's intensity, e.g. processing=heavy (env: comma-separated)",
  },
  {
    name: 'workload-mix',
    type: 'string',
    env: 'TRACELAB_WORKLOAD_MIX',
    description:
      'JSON object overriding service mixes, e.g. {"processing":{"cpu_heavy":0.8,"io_heavy":0.2,"intensities":["heavy","severe"]}}',
  },
  {
    name: 'monitor',
    type: 'string',
    env: 'TRACELAB_MONITOR',
    default: 'on',
    choices: ['on', 'off'],
    description:
      'off: no resource sampler; workload spans carry no resource.* figures (to measure its cost)',
  },
  {
    name: 'monitor-interval-ms',
    type: 'number',
    env: 'TRACELAB_MONITOR_INTERVAL_MS',
    default: 100,
    min: 10,
    description: 'how often the resource monitor samples CPU and memory',
  },
  {
    name: 'cpu-threshold',
    type: 'number',
    env: 'TRACELAB_CPU_THRESHOLD',
    default: 80,
    min: 0,
    description: 'CPU % of one core at which a workload span is resource.cpu_bound',
  },
  {
    name: 'memory-threshold-mb',
    type: 'number',
    env: 'TRACELAB_MEMORY_THRESHOLD_MB',
    default: 200,
    min: 1,
    description: 'RSS in MB above which a workload span is resource.memory_threshold_exceeded',
  },
];

/** Settings from parsed option values. Throws ConfigError saying what is wrong and what is valid. */
export function workloadSettingsFrom(values: OptionValues): WorkloadSettings {
  const scale = opt.num(values, 'workload-scale');
  if (!(scale > 0)) {
    throw bad(`--workload-scale: must be greater than 0, got ${scale}`);
  }
  const seed = opt.maybeNum(values, 'seed');
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw bad(`--seed: must be a whole number up to ${Number.MAX_SAFE_INTEGER}`);
  }
  const mixText = opt.maybeStr(values, 'workload-mix');
  return {
    seed,
    scale,
    mode: opt.str(values, 'workload') as WorkloadMode,
    fixedIntensities: parseIntensityList(opt.list(values, 'intensity')),
    mixes: mixText === undefined || mixText.trim() === '' ? SPEC_MIXES : parseWorkloadMix(mixText),
    monitor: {
      enabled: opt.str(values, 'monitor') !== 'off',
      intervalMs: opt.num(values, 'monitor-interval-ms'),
      cpuThresholdPercent: opt.num(values, 'cpu-threshold'),
      memoryThresholdMb: opt.num(values, 'memory-threshold-mb'),
    },
  };
}

function bad(message: string): ConfigError {
  return new ConfigError('CONFIG_ERR_BAD_VALUE', message);
}

const VALID_SERVICES = SERVICE_KINDS.join(', ');
const VALID_INTENSITIES = INTENSITIES.join(', ');

/** `["processing=heavy", "api=light"]` → `{ processing: 'heavy', api: 'light' }`; the last one wins. */
export function parseIntensityList(
  entries: readonly string[],
): Partial<Record<ServiceKind, Intensity>> {
  const fixed: Partial<Record<ServiceKind, Intensity>> = {};
  for (const entry of entries) {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(entry);
    if (!match) {
      throw bad(
        `--intensity: expected <service>=<intensity>, e.g. processing=heavy, got "${entry}"`,
      );
    }
    const service = match[1]!;
    const intensity = match[2]!;
    if (!isServiceKind(service)) {
      throw bad(
        `--intensity: unknown service "${service}" in "${entry}"; valid services: ${VALID_SERVICES}`,
      );
    }
    if (!isIntensity(intensity)) {
      throw bad(
        `--intensity: unknown intensity "${intensity}" in "${entry}"; valid intensities: ${VALID_INTENSITIES}`,
      );
    }
    fixed[service] = intensity;
  }
  return fixed;
}

const SHARE_KEYS = WORKLOAD_TYPES;
const MIX_KEYS = [...SHARE_KEYS, 'intensities'];

/**
 * The spec's mixes with the services named in `text` (JSON) replaced field by field. Shares
 * given keep their value, and what is left of 1 goes to the service's other types in
 * proportion to their shares: `{"api":{"io_heavy":0.9}}` leaves cpu_heavy 0.1.
 */
function parseWorkloadMix(text: string): Record<ServiceKind, ServiceMix> {
  const where = '--workload-mix';
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw bad(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw bad(
      `${where}: expected a JSON object keyed by service (${VALID_SERVICES}), e.g. {"processing":{"cpu_heavy":0.8,"io_heavy":0.2,"intensities":["heavy","severe"]}}`,
    );
  }
  const mixes: Record<ServiceKind, ServiceMix> = { ...SPEC_MIXES };
  for (const [service, raw] of Object.entries(data as Record<string, unknown>)) {
    if (!isServiceKind(service)) {
      throw bad(`${where}: unknown service "${service}"; valid services: ${VALID_SERVICES}`);
    }
    mixes[service] = parseServiceMix(`${where} ${service}`, raw, SPEC_MIXES[service]);
  }
  return mixes;
}

function parseServiceMix(where: string, raw: unknown, base: ServiceMix): ServiceMix {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw bad(`${where}: expected an object with ${SHARE_KEYS.join(', ')} and/or intensities`);
  }
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!MIX_KEYS.includes(key)) {
      throw bad(`${where}: unknown field "${key}"; valid fields: ${MIX_KEYS.join(', ')}`);
    }
  }
  const given = new Map<WorkloadType, number>();
  for (const key of SHARE_KEYS) {
    const v = fields[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw bad(`${where}: ${key} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
    }
    given.set(key, v);
  }
  let intensities = base.intensities;
  if (fields.intensities !== undefined) {
    const list = fields.intensities;
    if (!Array.isArray(list) || list.length === 0) {
      throw bad(`${where}: intensities must be a non-empty list drawn from ${VALID_INTENSITIES}`);
    }
    for (const item of list) {
      if (!isIntensity(item)) {
        throw bad(
          `${where}: unknown intensity ${JSON.stringify(item)}; valid intensities: ${VALID_INTENSITIES}`,
        );
      }
    }
    intensities = [...new Set(list as Intensity[])];
  }
  return { ...mixShares(where, given, base), intensities };
}

/** Shares given, and the rest of 1 spread over the base's other types by their shares. */
function mixShares(
  where: string,
  given: ReadonlyMap<WorkloadType, number>,
  base: ServiceMix,
): Omit<ServiceMix, 'intensities'> {
  const shares = new Map<WorkloadType, number>();
  for (const type of SHARE_KEYS) shares.set(type, mixShare(base, type));
  if (given.size > 0) {
    const givenTotal = [...given.values()].reduce((a, b) => a + b, 0);
    const others = SHARE_KEYS.filter((t) => !given.has(t) && mixShare(base, t) > 0);
    const othersTotal = others.reduce((a, t) => a + mixShare(base, t), 0);
    const sum = () => [...given.keys()].join(' + ');
    if (givenTotal > 1 + 1e-9) {
      throw bad(
        `${where}: ${sum()} must add up to 1 at most, got ${[...given.values()].join(' + ')}`,
      );
    }
    if (others.length === 0 && Math.abs(givenTotal - 1) > 1e-9) {
      throw bad(
        `${where}: ${sum()} must add up to 1, got ${[...given.values()].join(' + ')}` +
          ' (the service has no other type to give the rest to)',
      );
    }
    for (const type of SHARE_KEYS) {
      const share = given.get(type);
      if (share !== undefined) shares.set(type, share);
      else if (others.includes(type)) {
        shares.set(type, (1 - givenTotal) * (mixShare(base, type) / othersTotal));
      } else shares.set(type, 0);
    }
  }
  // The spec's two always; the others only when they have a share, so the spec's services'
  // mixes keep their shape.
  const db = shares.get('db_heavy')!;
  const network = shares.get('network_heavy')!;
  return {
    cpuHeavy: shares.get('cpu_heavy')!,
    ioHeavy: shares.get('io_heavy')!,
    ...(db > 0 ? { dbHeavy: db } : {}),
    ...(network > 0 ? { networkHeavy: network } : {}),
  };
}
