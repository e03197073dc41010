import { SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { ITEM_RANGES, OPERATIONS, INTENSITIES, mixShare, WORKLOAD_TYPES } from './types.js';
import type { Intensity, ServiceMix, WorkloadPlan, WorkloadType } from './types.js';

/** Uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a small, well-known 32-bit PRNG; plenty for choosing workloads, and repeatable. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The generator seed of one service from the user's seed, so that services started with the
 * same `--seed` still draw different sequences. Seeds up to 2^53 keep all their bits.
 */
export function serviceSeed(seed: number, service: ServiceKind): number {
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  const serviceSalt = Math.imul(SERVICE_KINDS.indexOf(service) + 1, 0x9e3779b9);
  return fmix32(low ^ fmix32(high ^ fmix32(serviceSalt)));
}

/** Items at scale 1 from one uniform draw `u`, both ends of the spec's range reachable. */
export function drawItems(type: WorkloadType, intensity: Intensity, u: number): number {
  const [min, max] = ITEM_RANGES[type][intensity];
  return min + Math.min(max - min, Math.floor(u * (max - min + 1)));
}

/** Items after the scale factor: never fewer than one, so the operation still runs. */
export function scaleItems(items: number, scale: number): number {
  return Math.max(1, Math.round(items * scale));
}

export interface PlanChoice {
  readonly mix: ServiceMix;
  readonly scale: number;
  /** Wins over the mix's intensities, even when the mix does not list it. */
  readonly intensity?: Intensity;
  /** Wins over the mix's shares. */
  readonly type?: WorkloadType;
  /** Types this service cannot run (db_heavy without a database): never drawn. */
  readonly unavailable?: readonly WorkloadType[];
}

/**
 * The type at `u` in [0, 1): the first whose cumulative share, over the total of the
 * available ones, is above `u`. For a CPU/I-O mix this is `u < cpu / (cpu + io)`, as it
 * always was, so the spec's services draw exactly what they drew before.
 */
export function drawType(
  mix: ServiceMix,
  u: number,
  unavailable: readonly WorkloadType[] = [],
): WorkloadType {
  const weights = WORKLOAD_TYPES.map((t) => (unavailable.includes(t) ? 0 : mixShare(mix, t)));
  const total = weights.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  let last: WorkloadType = 'cpu_heavy';
  for (const [i, type] of WORKLOAD_TYPES.entries()) {
    const weight = weights[i]!;
    if (weight <= 0) continue;
    cumulative += weight;
    last = type;
    if (u < cumulative / total) return type;
  }
  // Rounding can leave u just above the last cumulative share: the last type with a share.
  return last;
}

/**
 * One plan from the mix. Always takes exactly three draws (type, intensity, items), forced or
 * not, so forcing one order's intensity does not shift the choices of the orders after it.
 */
export function planWorkload(random: Random, choice: PlanChoice): WorkloadPlan {
  const uType = random();
  const uIntensity = random();
  const uItems = random();
  const { mix } = choice;
  const type = choice.type ?? drawType(mix, uType, choice.unavailable);
  const index = Math.min(
    mix.intensities.length - 1,
    Math.floor(uIntensity * mix.intensities.length),
  );
  const intensity: Intensity = choice.intensity ?? mix.intensities[index]!;
  return {
    type,
    intensity,
    operation: OPERATIONS[type][intensity],
    items: scaleItems(drawItems(type, intensity, uItems), choice.scale),
  };
}

export function isIntensity(value: unknown): value is Intensity {
  return typeof value === 'string' && (INTENSITIES as readonly string[]).includes(value);
}

/** Where a forced intensity can come from, strongest first. */
export interface IntensitySources {
  /** Given to `run()` by the caller. */
  readonly requested?: Intensity;
  /** Raw baggage value of INTENSITY_BAGGAGE_KEY; ignored unless it names an intensity. */
  readonly baggage?: string;
  /** Switched while the lab runs (`tracelab intensity`, up's admin endpoint). */
  readonly runtime?: Intensity;
  /** `--intensity <service>=<intensity>`. */
  readonly fixed?: Intensity;
}

/** requested > baggage > run-time switch > fixed for the service > (undefined: the mix). */
export function forcedIntensity(sources: IntensitySources): Intensity | undefined {
  if (sources.requested) return sources.requested;
  const baggage = sources.baggage?.trim().toLowerCase();
  if (isIntensity(baggage)) return baggage;
  return sources.runtime ?? sources.fixed;
}
