import type { OptionSpec, OptionValues } from '../config/index.js';

/** Resolved settings back into flags, to hand a child process exactly what the parent decided. */
export function toFlags(specs: readonly OptionSpec[], values: OptionValues): string[] {
  const flags: string[] = [];
  for (const spec of specs) {
    const v = values[spec.name];
    if (v === undefined) continue;
    if (spec.type === 'boolean') {
      if (v) flags.push(`--${spec.name}`);
    } else if (Array.isArray(v)) {
      for (const item of v) flags.push(`--${spec.name}`, item);
    } else {
      flags.push(`--${spec.name}`, String(v));
    }
  }
  return flags;
}
