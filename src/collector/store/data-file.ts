import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { crc32 } from 'node:zlib';
import { CollectorError } from '../errors.js';
import { int64FromDigits } from './int64.js';
import type { Attribute, ProcessResource, SpanRecord } from './span-record.js';
import type { TraceStore } from './trace-store.js';

/**
 * The data file: a header line, then records, one per line. A record is a batch of spans as
 * received (its resources listed once, its spans pointing at them by index), prefixed by the
 * CRC-32 of its JSON: `1a2b3c4d {"resources":[...],"spans":[...]}`. Batches are appended as
 * they arrive; loading replays them in order, so the store (eviction included) comes back as
 * it was. A rewrite (compaction) stores one record per live trace.
 *
 * Version 1 files (one trace per line, no checksums) are still read.
 */
const FORMAT = 'tracelab-collector-traces';
const VERSION = 2;
const HEADER_LINE = `${JSON.stringify({ format: FORMAT, version: VERSION })}\n`;

type StoredSpan = Omit<SpanRecord, 'resource'> & { readonly r: number };
interface StoredBatch {
  readonly resources: ProcessResource[];
  readonly spans: StoredSpan[];
}

/** One record line, newline included. */
export function encodeRecord(spans: readonly SpanRecord[]): string {
  const json = JSON.stringify(toStoredBatch(spans));
  return `${checksum(json)} ${json}\n`;
}

const checksum = (json: string): string => crc32(json).toString(16).padStart(8, '0');

export interface LoadResult {
  /** Spans in the file's records, live or not: what compaction weighs against the store. */
  readonly loggedSpans: number;
  /** The file should be rewritten before anything is appended (no file, old format, torn tail). */
  readonly rewrite: boolean;
  /** Something the user should know that did not stop the load. */
  readonly warning: string | undefined;
}

/**
 * Replays a data file into the store; a missing file is an empty store. A last record cut
 * short (a crash mid-append) is dropped with a warning; anything else wrong stops the load.
 */
export async function loadTraces(path: string, store: TraceStore): Promise<LoadResult> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = info.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { loggedSpans: 0, rewrite: true, warning: undefined };
    throw new CollectorError('DATA_FILE_UNREADABLE', `cannot read data file ${path}: ${code}`);
  }
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  let bytesRead = 0;
  let version = 0;
  let loggedSpans = 0;
  let torn: string | undefined;
  const corrupt = (problem: string, line = lineNo) =>
    new CollectorError(
      'DATA_FILE_CORRUPT',
      `data file ${path} is corrupt at line ${line}: ${problem}. It was left untouched; ` +
        'move it away or pass another --data file to start.',
    );
  try {
    for await (const line of lines) {
      lineNo++;
      bytesRead += Buffer.byteLength(line) + 1;
      if (torn) throw corrupt(`${torn} (and more records follow)`, lineNo - 1);
      if (lineNo === 1) {
        version = parseHeader(line, corrupt);
        continue;
      }
      let json = line;
      if (version >= 2) {
        // Only the last record can be cut short; whole records end with a newline.
        const problem = bytesRead > size ? 'no newline' : checksumProblem(line);
        if (problem) {
          torn = `record ${problem}`;
          continue;
        }
        json = line.slice(9);
      }
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch (err) {
        throw corrupt((err as Error).message);
      }
      const problem = checkStoredBatch(value);
      if (problem) throw corrupt(problem);
      const batch = value as StoredBatch;
      store.addSpans(
        batch.spans.map(({ r, ...span }): SpanRecord => ({
          ...span,
          resource: batch.resources[r]!,
        })),
      );
      loggedSpans += batch.spans.length;
    }
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError(
      'DATA_FILE_UNREADABLE',
      `cannot read data file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (lineNo === 0) throw corrupt('the file is empty');
  const warning = torn
    ? `data file ${path}: dropped its last record, line ${lineNo}, cut short by a crash while ` +
      `it was written (${torn}); the ${lineNo - 2} record(s) before it were loaded`
    : undefined;
  return { loggedSpans, rewrite: version < VERSION || torn !== undefined, warning };
}

function parseHeader(line: string, corrupt: (problem: string) => Error): number {
  let h: { format?: unknown; version?: unknown } | null;
  try {
    h = JSON.parse(line) as typeof h;
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  if (h?.format !== FORMAT || (h.version !== 1 && h.version !== VERSION)) {
    throw corrupt(`not a tracelab collector data file (header ${line.slice(0, 80)})`);
  }
  return h.version;
}

function checksumProblem(line: string): string | undefined {
  if (line.length < 10 || line[8] !== ' ') return 'cut short';
  return line.slice(0, 8) === checksum(line.slice(9)) ? undefined : 'with a wrong checksum';
}

/**
 * Writes `traces` (one record each) as the whole data file, atomically: a temporary file
 * beside it, synced, then renamed over it, so a crash leaves the previous file whole.
 */
export async function writeDataFile(
  path: string,
  traces: readonly (readonly SpanRecord[])[],
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w');
  try {
    let chunk = HEADER_LINE;
    for (const spans of traces) {
      chunk += encodeRecord(spans);
      // Written in pieces, so ingest keeps running while a large store is written.
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

function toStoredBatch(spans: readonly SpanRecord[]): StoredBatch {
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

const ATTRIBUTE_TYPES: Readonly<Record<Attribute['type'], string>> = {
  string: 'string',
  bool: 'boolean',
  int64: 'number',
  float64: 'number',
  binary: 'string',
};

const isInt64Digits = (v: unknown): boolean =>
  typeof v === 'string' && /^-?\d+$/.test(v) && int64FromDigits(v) !== undefined;

function checkAttributes(v: unknown, where: string): string | undefined {
  if (!Array.isArray(v)) return `${where}: expected an array`;
  for (const a of v as { key?: unknown; type?: unknown; value?: unknown; exact?: unknown }[]) {
    if (typeof a?.key !== 'string') return `${where}: an attribute has no key`;
    const jsType = ATTRIBUTE_TYPES[a.type as Attribute['type']];
    if (!jsType || typeof a.value !== jsType) return `${where}: attribute "${a.key}" is malformed`;
    // An int64 beyond 2^53 keeps its digits beside the rounded number.
    if (a.exact !== undefined && (a.type !== 'int64' || !isInt64Digits(a.exact))) {
      return `${where}: attribute "${a.key}" has malformed digits`;
    }
  }
  return undefined;
}

/** What is wrong with one stored batch, or undefined. */
function checkStoredBatch(v: unknown): string | undefined {
  const t = v as Partial<StoredBatch> | null;
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
