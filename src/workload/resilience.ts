import { opt } from '../config/index.js';
import type { OptionValues } from '../config/index.js';

/**
 * How processing calls inventory: the policies around each call, as `up`'s flags set them and
 * as they are switched while the lab runs (`tracelab resilience set retries=0`). Pure: the
 * words, their bounds and their meaning; the client applies them.
 */
export interface ResiliencePolicy {
  /** One attempt's time limit, connecting included. */
  readonly timeoutMs: number;
  /** Attempts after the first, on a failure worth trying again (0: none). */
  readonly retries: number;
  /** The first retry's mean wait; each next one doubles it, with jitter. */
  readonly backoffMs: number;
  /** Consecutive failed calls that open the breaker (0: no breaker). */
  readonly breakerFailures: number;
  /** How long an open breaker refuses before it lets one call through (0: no breaker). */
  readonly breakerPauseMs: number;
  /** Calls at once; more wait in a small queue, past it they are refused (0: no limit). */
  readonly bulkhead: number;
}

export type ResilienceSettings = Partial<ResiliencePolicy>;

/** The flags' defaults (`tracelab service processing --help`). */
export const DEFAULT_RESILIENCE: ResiliencePolicy = {
  timeoutMs: 2000,
  retries: 2,
  backoffMs: 50,
  breakerFailures: 5,
  breakerPauseMs: 5000,
  bulkhead: 16,
};

interface Field {
  readonly key: keyof ResiliencePolicy;
  readonly min: number;
  readonly max: number;
  /** A value that switches the policy off, written as `off`. */
  readonly off?: number;
}

/** The words `k=v` takes, each bound to a policy field and its range. */
export const RESILIENCE_FIELDS: Readonly<Record<string, Field>> = {
  timeout_ms: { key: 'timeoutMs', min: 50, max: 60_000 },
  retries: { key: 'retries', min: 0, max: 10, off: 0 },
  backoff_ms: { key: 'backoffMs', min: 0, max: 60_000 },
  breaker_failures: { key: 'breakerFailures', min: 0, max: 1000, off: 0 },
  breaker_pause_ms: { key: 'breakerPauseMs', min: 0, max: 600_000, off: 0 },
  bulkhead: { key: 'bulkhead', min: 0, max: 1000, off: 0 },
};

const WORDS = Object.keys(RESILIENCE_FIELDS).join(', ');

/** A `k=v` setting that names no policy field or gives it a value out of range. */
export class ResilienceSpecError extends Error {
  override readonly name = 'ResilienceSpecError';
}

/**
 * Reads `retries=3`, `breaker_pause_ms=off`, … (each word once or the last one wins) into the
 * fields they set. Throws a ResilienceSpecError naming the word and what it takes.
 */
export function parseResilienceSettings(words: readonly string[]): ResilienceSettings {
  const out: Record<string, number> = {};
  for (const word of words.flatMap((w) => w.split(',')).map((w) => w.trim())) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const field = RESILIENCE_FIELDS[name];
    if (eq < 0 || !field) {
      throw new ResilienceSpecError(
        `${JSON.stringify(word)}: expected <setting>=<value>, one of ${WORDS}`,
      );
    }
    const text = word.slice(eq + 1).trim();
    const value = text === 'off' && field.off !== undefined ? field.off : Number(text);
    if (text === '' || !Number.isInteger(value) || value < field.min || value > field.max) {
      throw new ResilienceSpecError(
        `${name}=${text}: a whole number from ${field.min} to ${field.max}${field.off !== undefined ? ' (or off)' : ''}`,
      );
    }
    out[field.key] = value;
  }
  return out;
}

/** The settings back as `k=v` words, in the order of RESILIENCE_FIELDS. */
export function describeResilience(settings: ResilienceSettings): string[] {
  return Object.entries(RESILIENCE_FIELDS)
    .filter(([, f]) => settings[f.key] !== undefined)
    .map(([name, f]) => `${name}=${String(settings[f.key])}`);
}

/** The flags' policy with what was switched at run time over it. */
export function effectivePolicy(
  flags: ResiliencePolicy,
  runtime: ResilienceSettings,
): ResiliencePolicy {
  return { ...flags, ...runtime };
}

/** True when the policy has a circuit breaker at all. */
export function hasBreaker(p: ResiliencePolicy): boolean {
  return p.breakerFailures > 0 && p.breakerPauseMs > 0;
}

/** The policy the `--inventory-*` flags set (see cli/service-options.ts). */
export function resiliencePolicyFrom(values: OptionValues): ResiliencePolicy {
  return {
    timeoutMs: opt.num(values, 'inventory-timeout-ms'),
    retries: opt.num(values, 'inventory-retries'),
    backoffMs: opt.num(values, 'inventory-backoff-ms'),
    breakerFailures: opt.num(values, 'inventory-breaker-failures'),
    breakerPauseMs: opt.num(values, 'inventory-breaker-pause-ms'),
    bulkhead: opt.num(values, 'inventory-bulkhead'),
  };
}
