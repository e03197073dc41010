import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from './cli.js';

/** The repository root, seen from dist/test/helpers. */
export const ROOT = join(__dirname, '..', '..', '..');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type ComposeFile = { [key: string]: Json };

export function isMap(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A compose file as Compose reads it: YAML with merge keys (`<<: *anchor`), then
 * interpolation. The files set no variables, so `$$` is the only `$` they may hold: a `${X}`
 * would depend on the user's shell, and is refused.
 */
export function loadCompose(file: string): ComposeFile {
  const doc = parse(readFileSync(join(ROOT, file), 'utf8'), { merge: true }) as Json;
  if (!isMap(doc)) throw new Error(`${file}: not a YAML mapping`);
  return interpolate(doc, file) as ComposeFile;
}

function interpolate(v: Json, where: string): Json {
  if (typeof v === 'string') {
    const bare = /\$(?!\$)[{A-Za-z_]/.exec(v.replaceAll('$$', ''));
    if (bare) throw new Error(`${where}: "${v}" uses variable interpolation`);
    return v.replaceAll('$$', '$');
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolate(x, `${where}[${i}]`));
  if (isMap(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, interpolate(x, `${where}.${k}`)]),
    );
  }
  return v;
}

/** Sequences an override file replaces instead of extending (Compose's merge rules). */
const REPLACED = new Set(['command', 'entrypoint', 'test']);
/** Keys that may be a list of `K=V` or a mapping; merged as mappings. */
const KEY_VALUE = new Set(['environment', 'labels']);

/**
 * `docker compose -f base -f override`: mappings merge key by key, `environment` and `labels`
 * merge by variable, `command`/`entrypoint`/`healthcheck.test` are replaced, other sequences
 * (ports, volumes, ...) are appended without duplicates.
 */
export function mergeCompose(base: Json, override: Json, key = ''): Json {
  if (KEY_VALUE.has(key)) return { ...keyValues(base), ...keyValues(override) };
  if (isMap(base) && isMap(override)) {
    const out: { [key: string]: Json } = { ...base };
    for (const [k, v] of Object.entries(override)) {
      out[k] = k in base ? mergeCompose(base[k]!, v, k) : v;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(override) && !REPLACED.has(key)) {
    const seen = new Set(base.map((x) => JSON.stringify(x)));
    return [...base, ...override.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  return override;
}

/** `["A=1", "B"]` or `{A: 1, B: null}` → `{A: "1", B: null}`. */
export function keyValues(v: Json | undefined): { [key: string]: Json } {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) {
    return Object.fromEntries(
      v.map((entry) => {
        const text = scalar(entry);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  if (isMap(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        x === null ? null : String(x as string | number | boolean),
      ]),
    );
  }
  throw new Error(`expected a list or a mapping, got ${JSON.stringify(v)}`);
}

function scalar(v: Json): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a scalar, got ${JSON.stringify(v)}`);
}

/** A service's environment as strings; variables without a value (taken from the shell) left out. */
export function environmentOf(service: Json | undefined): Record<string, string> {
  const env = keyValues(isMap(service) ? service.environment : undefined);
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== null)) as Record<
    string,
    string
  >;
}

export interface PortMapping {
  readonly hostIp?: string;
  readonly published?: number;
  readonly target: number;
  readonly protocol: string;
}

/** `"8080"`, `"8080:80"`, `"127.0.0.1:8080:80/udp"` or the long form. */
export function parsePort(entry: Json): PortMapping {
  if (isMap(entry)) {
    return {
      ...(typeof entry.host_ip === 'string' ? { hostIp: entry.host_ip } : {}),
      ...(entry.published !== undefined ? { published: Number(entry.published) } : {}),
      target: Number(entry.target),
      protocol: typeof entry.protocol === 'string' ? entry.protocol : 'tcp',
    };
  }
  const [spec = '', protocol = 'tcp'] = scalar(entry).split('/');
  const parts = spec.split(':');
  const target = Number(parts.pop());
  const published = parts.length > 0 ? Number(parts.pop()) : undefined;
  const hostIp = parts.length > 0 ? parts.join(':') : undefined;
  return {
    ...(hostIp ? { hostIp } : {}),
    ...(published !== undefined ? { published } : {}),
    target,
    protocol,
  };
}

/** `INTERNAL://kafka:9092,LOCAL://localhost:29092` → listener name → host and port. */
export function parseKafkaListeners(text: string): Map<string, { host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):\/\/\[?([^\]]*?)\]?:(\d+)$/.exec(item);
    if (!m) throw new Error(`not a Kafka listener: "${item}"`);
    out.set(m[1]!, { host: m[2]!, port: Number(m[3]) });
  }
  return out;
}

/** Environment variable names listed in a command's generated `--help` (`env: NAME`). */
export function envNamesInHelp(help: string): Set<string> {
  return new Set([...help.matchAll(/env: ([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
}

/** The default `--help` shows for a flag, e.g. `8080` for `--api-port`. */
export function defaultInHelp(help: string, flag: string): string | undefined {
  const line = help.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `));
  return line ? /default: ([^;)]+)/.exec(line)?.[1] : undefined;
}

export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
  /** Index of the build stage (FROM) it belongs to; -1 before the first FROM. */
  readonly stage: number;
}

export interface Dockerfile {
  readonly instructions: readonly DockerInstruction[];
  /** Per stage: the image it starts from (ARGs substituted) and its name. */
  readonly stages: readonly { readonly from: string; readonly name?: string }[];
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined, stages numbered. */
export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  if (current) logical.push(current.trim());

  const args = new Map<string, string>();
  const stages: { from: string; name?: string }[] = [];
  const instructions: DockerInstruction[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      if (name && value !== undefined) args.set(name.trim(), value.trim());
    }
    if (keyword === 'FROM') {
      const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      const from = words[0]!.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, n: string) => args.get(n) ?? '',
      );
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ from, ...(as >= 0 && words[as + 1] ? { name: words[as + 1] } : {}) });
    }
    instructions.push({ keyword, args: rest, stage: stages.length - 1 });
  }
  return { instructions, stages };
}

/** The exec-form JSON array of an instruction such as ENTRYPOINT; undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const v = JSON.parse(args) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

export const CORE = 'docker-compose.yml';
/** Every `docker-compose.<extra>.yml` is checked layered on the core file. */
export const EXTRAS = readdirSync(ROOT)
  .filter((f) => /^docker-compose\..+\.ya?ml$/.test(f))
  .sort();

export interface Combination {
  readonly label: string;
  readonly config: ComposeFile;
}

export function combinations(): Combination[] {
  const core = loadCompose(CORE);
  return [
    { label: CORE, config: core },
    ...EXTRAS.map((extra) => ({
      label: `${CORE} + ${extra}`,
      config: mergeCompose(core, loadCompose(extra)) as ComposeFile,
    })),
  ];
}

export type Service = { [key: string]: Json };

export function servicesOf(config: ComposeFile): Record<string, Service> {
  const services = config.services;
  assert.ok(isMap(services), 'a compose file needs services');
  return services as Record<string, Service>;
}

/** tracelab's own containers: the ones built from this repository. */
export function tracelabServices(config: ComposeFile): [string, Service][] {
  return Object.entries(servicesOf(config)).filter(([, s]) => s.build !== undefined);
}

/** A scalar as text; '' for anything else. */
export function textOf(v: Json | undefined): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export function imageOf(service: Service | undefined): string {
  return typeof service?.image === 'string' ? service.image : '';
}

/** The service (by name or hostname) that a host name on the compose network reaches. */
export function serviceNamed(config: ComposeFile, host: string): [string, Service] | undefined {
  return Object.entries(servicesOf(config)).find(
    ([name, s]) => name === host || s.hostname === host,
  );
}

export function commandOf(service: Service): string[] {
  const command = service.command;
  assert.ok(Array.isArray(command), 'command in exec form: a list');
  return command.map(textOf);
}

const helpCache = new Map<string, Promise<string>>();
/** `tracelab <command...> --help` with the container's environment: exit 0, or the test fails. */
export function helpFor(command: readonly string[], env: Record<string, string>): Promise<string> {
  const key = JSON.stringify([command, env]);
  let help = helpCache.get(key);
  if (!help) {
    help = runCli([...command, '--help'], { env }).then((r) => {
      assert.equal(r.code, 0, `tracelab ${command.join(' ')} --help exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    });
    helpCache.set(key, help);
  }
  return help;
}

/** Standard OpenTelemetry SDK variables the Node SDK reads (exporter, batching, resource). */
export const OTEL_STANDARD = new Set([
  'OTEL_SDK_DISABLED',
  'OTEL_LOG_LEVEL',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_PROPAGATORS',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
]);
