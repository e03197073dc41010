import { ConfigError, opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import { isIntensity } from './plan.js';
import { isServiceKind, SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { INTENSITIES, SPEC_MIXES, WORKLOAD_MODES } from './types.js';
import type { Intensity, ServiceMix, WorkloadMode, WorkloadSettings } from './types.js';

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

const MIX_KEYS = ['cpu_heavy', 'io_heavy', 'intensities'];

/**
 * The spec's mixes with the services named in `text` (JSON) replaced field by field. Shares
 * may be given alone (the other is 1 − it); given together they must add up to 1.
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
    throw bad(`${where}: expected an object with cpu_heavy, io_heavy and/or intensities`);
  }
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!MIX_KEYS.includes(key)) {
      throw bad(`${where}: unknown field "${key}"; valid fields: ${MIX_KEYS.join(', ')}`);
    }
  }
  const share = (key: string): number | undefined => {
    const v = fields[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw bad(`${where}: ${key} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const cpu = share('cpu_heavy');
  const io = share('io_heavy');
  let cpuHeavy = base.cpuHeavy;
  let ioHeavy = base.ioHeavy;
  if (cpu !== undefined && io !== undefined) {
    if (Math.abs(cpu + io - 1) > 1e-9) {
      throw bad(`${where}: cpu_heavy + io_heavy must add up to 1, got ${cpu} + ${io}`);
    }
    [cpuHeavy, ioHeavy] = [cpu, io];
  } else if (cpu !== undefined) {
    [cpuHeavy, ioHeavy] = [cpu, 1 - cpu];
  } else if (io !== undefined) {
    [cpuHeavy, ioHeavy] = [1 - io, io];
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
  return { cpuHeavy, ioHeavy, intensities };
}
