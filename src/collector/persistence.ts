import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { CollectorError } from './errors.js';
import type { Attribute, ProcessResource, SpanRecord } from './model.js';
import type { TraceStore } from './store.js';

/**
 * The data file: JSON lines, a header then one trace per line, so neither saving nor loading
 * needs the whole store as one string. Each line lists the trace's resources once and its
 * spans point at them by index.
 */
const HEADER = { format: 'tracelab-collector-traces', version: 1 } as const;

type StoredSpan = Omit<SpanRecord, 'resource'> & { readonly r: number };
interface StoredTrace {
  readonly resources: ProcessResource[];
  readonly spans: StoredSpan[];
}

/** Loads a data file into the store; a missing file is an empty store. Returns spans loaded. */
export async function loadTraces(path: string, store: TraceStore): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 0;
    throw new CollectorError('DATA_FILE_UNREADABLE', `cannot read data file ${path}: ${code}`);
  }
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  let loaded = 0;
  const corrupt = (problem: string) =>
    new CollectorError(
      'DATA_FILE_CORRUPT',
      `data file ${path} is corrupt at line ${lineNo}: ${problem}. It was left untouched; ` +
        'move it away or pass another --data file to start.',
    );
  try {
    for await (const line of lines) {
      lineNo++;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw corrupt((err as Error).message);
      }
      if (lineNo === 1) {
        const h = value as { format?: unknown; version?: unknown } | null;
        if (h?.format !== HEADER.format || h.version !== HEADER.version) {
          throw corrupt(`not a tracelab collector data file (header ${line.slice(0, 80)})`);
        }
        continue;
      }
      const problem = checkStoredTrace(value);
      if (problem) throw corrupt(problem);
      const trace = value as StoredTrace;
      const spans = trace.spans.map(({ r, ...span }): SpanRecord => ({
        ...span,
        resource: trace.resources[r]!,
      }));
      store.addSpans(spans);
      loaded += spans.length;
    }
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError(
      'DATA_FILE_UNREADABLE',
      `cannot read data file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (lineNo === 0) throw corrupt('the file is empty');
  return loaded;
}

/** Writes the store to `path` atomically: a temporary file beside it, synced, then renamed. */
export async function saveTraces(path: string, store: TraceStore): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w');
  try {
    let chunk = `${JSON.stringify(HEADER)}\n`;
    for (const spans of store.allTraces()) {
      chunk += `${JSON.stringify(toStoredTrace(spans))}\n`;
      // Written in pieces, so ingest keeps running while a large store is saved.
      if (chunk.length > 1 << 20) {
        await file.write(chunk);
        chunk = '';
      }
    }
    await file.write(chunk);
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  await rename(tmp, path);
}

function toStoredTrace(spans: readonly SpanRecord[]): StoredTrace {
  const resources: ProcessResource[] = [];
  const indexOf = new Map<ProcessResource, number>();
  const stored = spans.map(({ resource, ...span }): StoredSpan => {
    let r = indexOf.get(resource);
    if (r === undefined) {
      r = resources.push(resource) - 1;
      indexOf.set(resource, r);
    }
    return { ...span, r };
  });
  return { resources, spans: stored };
}

export interface Persister {
  /** Stops the periodic saves and saves once more if anything changed. */
  close(): Promise<void>;
}

/** Saves the store every intervalMs when it changed; errors go to onError, never a crash. */
export function startPersister(opts: {
  path: string;
  store: TraceStore;
  intervalMs: number;
  onError: (err: Error) => void;
}): Persister {
  let savedVersion = opts.store.version;
  let saving: Promise<void> | undefined;
  const saveIfChanged = (): Promise<void> => {
    if (saving) return saving;
    const version = opts.store.version;
    if (version === savedVersion) return Promise.resolve();
    saving = saveTraces(opts.path, opts.store)
      .then(() => {
        savedVersion = version;
      })
      .finally(() => {
        saving = undefined;
      });
    return saving;
  };
  const timer = setInterval(() => {
    saveIfChanged().catch((err: Error) => opts.onError(err));
  }, opts.intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      if (saving) await saving.catch(() => undefined);
      await saveIfChanged();
    },
  };
}

const ATTRIBUTE_TYPES: Readonly<Record<Attribute['type'], string>> = {
  string: 'string',
  bool: 'boolean',
  int64: 'number',
  float64: 'number',
  binary: 'string',
};

function checkAttributes(v: unknown, where: string): string | undefined {
  if (!Array.isArray(v)) return `${where}: expected an array`;
  for (const a of v as { key?: unknown; type?: unknown; value?: unknown }[]) {
    if (typeof a?.key !== 'string') return `${where}: an attribute has no key`;
    const jsType = ATTRIBUTE_TYPES[a.type as Attribute['type']];
    if (!jsType || typeof a.value !== jsType) return `${where}: attribute "${a.key}" is malformed`;
  }
  return undefined;
}

/** What is wrong with one stored trace line, or undefined. */
function checkStoredTrace(v: unknown): string | undefined {
  const t = v as Partial<StoredTrace> | null;
  if (!Array.isArray(t?.resources) || !Array.isArray(t.spans)) {
    return 'expected {"resources":[...],"spans":[...]}';
  }
  for (const r of t.resources) {
    if (typeof r?.serviceName !== 'string') return 'a resource has no serviceName';
    const bad = checkAttributes(r.attributes, 'resource attributes');
    if (bad) return bad;
  }
  for (const s of t.spans as unknown as Record<string, unknown>[]) {
    for (const key of ['traceId', 'spanId', 'parentSpanId', 'name', 'kind', 'statusCode']) {
      if (typeof s?.[key] !== 'string') return `a span has no string ${key}`;
    }
    for (const key of ['startUs', 'durationUs', 'flags', 'r']) {
      if (typeof s[key] !== 'number') return `span ${String(s.spanId)} has no number ${key}`;
    }
    if (!t.resources[s.r as number]) return `span ${String(s.spanId)} points at no resource`;
    const bad =
      checkAttributes(s.attributes, `span ${String(s.spanId)} attributes`) ??
      (Array.isArray(s.events) && Array.isArray(s.links)
        ? undefined
        : `span ${String(s.spanId)} has no events or links`);
    if (bad) return bad;
    for (const e of s.events as { timeUs?: unknown; name?: unknown; attributes?: unknown }[]) {
      if (typeof e?.timeUs !== 'number' || typeof e.name !== 'string') {
        return `span ${String(s.spanId)} has a malformed event`;
      }
      const badEvent = checkAttributes(e.attributes, `span ${String(s.spanId)} event attributes`);
      if (badEvent) return badEvent;
    }
    for (const l of s.links as { traceId?: unknown; spanId?: unknown; attributes?: unknown }[]) {
      if (typeof l?.traceId !== 'string' || typeof l.spanId !== 'string') {
        return `span ${String(s.spanId)} has a malformed link`;
      }
      const badLink = checkAttributes(l.attributes, `span ${String(s.spanId)} link attributes`);
      if (badLink) return badLink;
    }
    const scope = s.scope as { name?: unknown; version?: unknown } | undefined;
    if (typeof scope?.name !== 'string' || typeof scope.version !== 'string') {
      return `span ${String(s.spanId)} has no scope`;
    }
    if (typeof s.statusMessage !== 'string' || typeof s.traceState !== 'string') {
      return `span ${String(s.spanId)} has no status message or trace state`;
    }
  }
  return undefined;
}
