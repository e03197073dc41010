import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from './errors.js';

/**
 * One home for settings: defaults in code, then a JSON config file (`--config` or
 * TRACELAB_CONFIG), then environment variables, then flags. `--help` is generated from the
 * same specs, so it cannot drift from what the code reads.
 */
export type OptionType = 'string' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  /** Flag name without dashes, e.g. `otlp-port`; also the key in the config file. */
  readonly name: string;
  readonly type: OptionType;
  readonly description: string;
  /** Environment variable that sets it, e.g. `TRACELAB_OTLP_PORT`. */
  readonly env?: string;
  readonly default?: string | number | boolean | readonly string[];
  /** For numbers: the smallest accepted value. */
  readonly min?: number;
  /** For numbers: whether only whole numbers are accepted. */
  readonly integer?: boolean;
  /** For strings: the accepted values. */
  readonly choices?: readonly string[];
  readonly short?: string;
}

export type OptionValue = string | number | boolean | string[] | undefined;
export type OptionValues = Record<string, OptionValue>;

/** Where a setting's value came from. */
export type OptionSource = 'default' | 'file' | 'env' | 'flag';

export interface ParsedCommandLine {
  readonly values: OptionValues;
  readonly sources: Record<string, OptionSource>;
  readonly positionals: string[];
  readonly help: boolean;
}

export const CONFIG_OPTION: OptionSpec = {
  name: 'config',
  type: 'string',
  env: 'TRACELAB_CONFIG',
  description: 'JSON file of settings, keyed by flag name (flags and environment win over it)',
};

/** Parses argv for one command. Throws CliError with a message a user can act on. */
export function parseCommandLine(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedCommandLine {
  const all = [...specs, CONFIG_OPTION];
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          all.map((s) => [
            s.name,
            {
              type: s.type === 'boolean' ? ('boolean' as const) : ('string' as const),
              multiple: s.type === 'list',
              ...(s.short ? { short: s.short } : {}),
            },
          ]),
        ),
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}`);
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const configPath = (flags.config as string | undefined) ?? env.TRACELAB_CONFIG;
  const fileValues = configPath ? readConfigFile(configPath) : {};

  const values: OptionValues = {};
  const sources: Record<string, OptionSource> = {};
  for (const spec of specs) {
    const flag = flags[spec.name];
    const envRaw = spec.env ? env[spec.env] : undefined;
    let value: OptionValue;
    if (flag !== undefined) {
      value = coerce(spec, flag, `--${spec.name}`);
      sources[spec.name] = 'flag';
    } else if (envRaw !== undefined && envRaw !== '') {
      value = coerce(spec, spec.type === 'list' ? splitList(envRaw) : envRaw, spec.env!);
      sources[spec.name] = 'env';
    } else if (fileValues[spec.name] !== undefined) {
      value = coerce(spec, fromFile(fileValues[spec.name]), `"${spec.name}" in ${configPath}`);
      sources[spec.name] = 'file';
    } else {
      sources[spec.name] = 'default';
      value =
        spec.default === undefined
          ? undefined
          : Array.isArray(spec.default)
            ? [...(spec.default as string[])]
            : (spec.default as OptionValue);
    }
    values[spec.name] = value;
  }
  return { values, sources, positionals: parsed.positionals, help: Boolean(flags.help) };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CliError(`config file ${path} must hold a JSON object keyed by flag name`);
  }
  return data as Record<string, unknown>;
}

function fromFile(v: unknown): string | boolean | string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function coerce(spec: OptionSpec, raw: string | boolean | string[], from: string): OptionValue {
  switch (spec.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (/^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new CliError(`${from}: expected true or false, got "${String(raw)}"`);
    case 'list':
      return Array.isArray(raw) ? raw : splitList(String(raw));
    case 'number': {
      const text = String(raw).trim();
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) {
        throw new CliError(`${from}: expected a number, got "${String(raw)}"`);
      }
      if (spec.integer && !Number.isInteger(n)) {
        throw new CliError(`${from}: expected a whole number, got "${String(raw)}"`);
      }
      if (spec.min !== undefined && n < spec.min) {
        throw new CliError(`${from}: must be at least ${spec.min}, got ${n}`);
      }
      return n;
    }
    case 'string': {
      const s = String(raw);
      if (spec.choices && !spec.choices.includes(s)) {
        throw new CliError(`${from}: expected one of ${spec.choices.join(', ')}, got "${s}"`);
      }
      return s;
    }
  }
}

/** `--help` text for one command, generated from its option specs. */
export function formatHelp(usage: string, summary: string, specs: readonly OptionSpec[]): string {
  const rows = [...specs, CONFIG_OPTION].map((s) => {
    const arg = s.type === 'boolean' ? '' : s.type === 'number' ? ' N' : ' VALUE';
    const left = `  ${s.short ? `-${s.short}, ` : ''}--${s.name}${arg}${s.type === 'list' ? ' (repeatable)' : ''}`;
    const extra = [
      s.choices ? `one of: ${s.choices.join(', ')}` : '',
      s.default !== undefined && !(Array.isArray(s.default) && s.default.length === 0)
        ? `default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}`
        : '',
      s.env ? `env: ${s.env}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `${left.padEnd(34)} ${s.description}${extra ? ` (${extra})` : ''}`;
  });
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${rows.join('\n')}\n  -h, --help                         show this help\n`;
}

/** Typed accessors, so commands read values without casts. */
export const opt = {
  str: (v: OptionValues, k: string): string | undefined => v[k] as string | undefined,
  num: (v: OptionValues, k: string): number | undefined => v[k] as number | undefined,
  bool: (v: OptionValues, k: string): boolean => Boolean(v[k]),
  list: (v: OptionValues, k: string): string[] => (v[k] as string[] | undefined) ?? [],
};
