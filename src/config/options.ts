import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDurationUs } from './duration.js';
import { ConfigError } from './errors.js';

/**
 * One home for settings: defaults in code, then a JSON config file (`--config` or
 * TRACELAB_CONFIG), then environment variables, then flags. `--help` is generated from the
 * same specs, so it cannot drift from what the code reads.
 */
/** `duration` reads `1s`, `500ms`, `1m30s` and gives milliseconds. */
export type OptionType = 'string' | 'number' | 'boolean' | 'list' | 'duration';

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
  /** For numbers: the largest accepted value. */
  readonly max?: number;
  /** For numbers: whether only whole numbers are accepted. */
  readonly integer?: boolean;
  /** A TCP port: a whole number from 0 to 65535 (see `portOption`). */
  readonly port?: boolean;
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

/** Parses argv for one command. Throws ConfigError with a message a user can act on. */
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
    throw new ConfigError(
      'CONFIG_ERR_BAD_ARGS',
      (err as Error).message.replace(/\. To specify.*$/s, ''),
    );
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
            : spec.type === 'duration'
              ? coerce(spec, String(spec.default), `the default of --${spec.name}`)
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
    throw new ConfigError(
      'CONFIG_ERR_FILE',
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      'CONFIG_ERR_FILE',
      `config file ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(
      'CONFIG_ERR_FILE',
      `config file ${path} must hold a JSON object keyed by flag name`,
    );
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
      throw new ConfigError(
        'CONFIG_ERR_BAD_VALUE',
        `${from}: expected true or false, got "${String(raw)}"`,
      );
    case 'list':
      return Array.isArray(raw) ? raw : splitList(String(raw));
    case 'number': {
      const text = String(raw).trim();
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: expected a number, got "${String(raw)}"`,
        );
      }
      if (spec.integer && !Number.isInteger(n)) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: expected a whole number, got "${String(raw)}"`,
        );
      }
      if (spec.port && (n < 0 || n > MAX_PORT)) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: must be a port number from 0 to ${MAX_PORT}, got ${n}`,
        );
      }
      if (spec.min !== undefined && n < spec.min) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: must be at least ${spec.min}, got ${n}`,
        );
      }
      if (spec.max !== undefined && n > spec.max) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: must be at most ${spec.max}, got ${n}`,
        );
      }
      return n;
    }
    case 'duration': {
      const text = String(raw).trim();
      const us = text === '0' ? 0 : parseDurationUs(text);
      if (us === undefined) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: expected a duration like 1s, 500ms or 1m30s, got "${String(raw)}"`,
        );
      }
      const ms = us / 1000;
      if (spec.min !== undefined && ms < spec.min) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: must be at least ${spec.min} ms, got ${String(raw)}`,
        );
      }
      return ms;
    }
    case 'string': {
      const s = String(raw);
      if (spec.choices && !spec.choices.includes(s)) {
        throw new ConfigError(
          'CONFIG_ERR_BAD_VALUE',
          `${from}: expected one of ${spec.choices.join(', ')}, got "${s}"`,
        );
      }
      return s;
    }
  }
}

/** `--help` text for one command, generated from its option specs. */
export function formatHelp(usage: string, summary: string, specs: readonly OptionSpec[]): string {
  const rows = [...specs, CONFIG_OPTION].map((s) => {
    const arg =
      s.type === 'boolean'
        ? ''
        : s.type === 'number'
          ? ' N'
          : s.type === 'duration'
            ? ' DURATION'
            : ' VALUE';
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

export const MAX_PORT = 65535;

/** A port setting: a whole number from 0 (any free port) to 65535, checked the same everywhere. */
export function portOption(
  spec: Omit<OptionSpec, 'type' | 'integer' | 'min' | 'max' | 'port'>,
): OptionSpec {
  return { ...spec, type: 'number', integer: true, min: 0, max: MAX_PORT, port: true };
}

function missing(name: string): ConfigError {
  // A spec with no default read as required: a slip in the code, named for whoever hits it.
  return new ConfigError('CONFIG_ERR_MISSING', `--${name}: a value is required`);
}

/**
 * Typed accessors, so commands read values without casts or `!`. `str`/`num` are for settings
 * that have a default (or must be given) and throw when absent; `maybe*` are for optional ones.
 */
export const opt = {
  str(v: OptionValues, k: string): string {
    const value = v[k];
    if (typeof value !== 'string') throw missing(k);
    return value;
  },
  maybeStr(v: OptionValues, k: string): string | undefined {
    const value = v[k];
    return typeof value === 'string' ? value : undefined;
  },
  num(v: OptionValues, k: string): number {
    const value = v[k];
    if (typeof value !== 'number') throw missing(k);
    return value;
  },
  maybeNum(v: OptionValues, k: string): number | undefined {
    const value = v[k];
    return typeof value === 'number' ? value : undefined;
  },
  /** A `duration` setting, in milliseconds. */
  ms(v: OptionValues, k: string): number {
    const value = v[k];
    if (typeof value !== 'number') throw missing(k);
    return value;
  },
  maybeMs(v: OptionValues, k: string): number | undefined {
    const value = v[k];
    return typeof value === 'number' ? value : undefined;
  },
  bool: (v: OptionValues, k: string): boolean => v[k] === true,
  list(v: OptionValues, k: string): string[] {
    const value = v[k];
    return Array.isArray(value) ? value : [];
  },
};
