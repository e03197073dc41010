import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { encodeRecord, writeDataFile } from './data-file.js';
import { CollectorError } from '../errors.js';
import type { LoadResult } from './data-file.js';
import type { SpanRecord } from './span-record.js';
import type { TraceStore } from './trace-store.js';

export interface PersisterOptions {
  readonly path: string;
  readonly store: TraceStore;
  /** What loading the file found: how much it holds, whether to rewrite it first. */
  readonly loaded: LoadResult;
  /** How often appended records are synced to disk. */
  readonly syncIntervalMs: number;
  /** The file is rewritten when it holds this many times the spans of the store. Default 2. */
  readonly compactFactor?: number;
  /** Errors no request can be told about (a failed write); never a crash. */
  readonly onError: (err: Error) => void;
}

export interface Persister {
  /** Stops, after writing and syncing what was received. */
  close(): Promise<void>;
  /** Spans in the file's records, live or evicted. */
  readonly loggedSpans: number;
  /** Rewrites done since start. */
  readonly compactions: number;
}

/** Below this many spans the file is never worth rewriting. */
const MIN_COMPACT_SPANS = 1000;

/**
 * Keeps the data file in step with the store at a cost proportional to what arrives: each
 * batch the store takes is appended as one record (batches that arrive during a write go out
 * together in the next one), and synced every syncIntervalMs. When evicted spans make the file
 * compactFactor times the store, it is rewritten from the store, atomically. A failed append
 * may leave a partial record, so after one the file is rewritten before anything else goes in.
 */
export async function startPersister(opts: PersisterOptions): Promise<Persister> {
  const writer = new DataFileWriter(opts);
  if (writer.mustRewrite) {
    try {
      await writer.rewrite();
    } catch (err) {
      throw new CollectorError(
        'DATA_FILE_UNWRITABLE',
        `cannot write data file ${opts.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  opts.store.onAdded((spans) => writer.take(spans));
  const timer = setInterval(() => {
    // Retries a rewrite after a failed write; syncs when records went in.
    void writer
      .work()
      .then(() => writer.sync())
      .catch((err: unknown) => writer.fail(err));
  }, opts.syncIntervalMs);
  timer.unref();

  return {
    get loggedSpans() {
      return writer.loggedSpans;
    },
    get compactions() {
      return writer.compactions;
    },
    async close() {
      if (writer.closed) return;
      clearInterval(timer);
      await writer.close();
    },
  };
}

/** The data file's writes: one at a time, appends or a whole rewrite, then syncs. */
class DataFileWriter {
  loggedSpans: number;
  compactions = 0;
  mustRewrite: boolean;
  closed = false;
  private readonly factor: number;
  private pending: (readonly SpanRecord[])[] = [];
  private file: FileHandle | undefined;
  private unsynced = false;
  /** The write or rewrite in progress; one at a time. */
  private busy: Promise<void> | undefined;

  constructor(private readonly opts: PersisterOptions) {
    this.factor = opts.compactFactor ?? 2;
    this.loggedSpans = opts.loaded.loggedSpans;
    this.mustRewrite = opts.loaded.rewrite;
  }

  /** A batch the store took. */
  take(spans: readonly SpanRecord[]): void {
    // While the file must be rewritten, the store itself is what will be written.
    if (this.closed || this.mustRewrite) return;
    this.pending.push(spans);
    if (!this.busy) setImmediate(() => void this.work());
  }

  fail(err: unknown): void {
    this.mustRewrite = true;
    this.opts.onError(
      new Error(`cannot write data file ${this.opts.path}: ${(err as Error).message}`),
    );
  }

  async rewrite(): Promise<void> {
    // The store now holds everything received: what was pending is in this snapshot.
    const traces = [...this.opts.store.allTraces()].map((spans) => spans.slice());
    this.pending = [];
    await this.file?.close();
    this.file = undefined;
    await writeDataFile(this.opts.path, traces);
    this.loggedSpans = traces.reduce((n, spans) => n + spans.length, 0);
    this.mustRewrite = false;
    this.unsynced = false;
    this.compactions++;
  }

  private async append(): Promise<void> {
    const batches = this.pending;
    this.pending = [];
    this.file ??= await open(this.opts.path, 'a');
    await this.file.write(batches.map(encodeRecord).join(''));
    this.unsynced = true;
    for (const spans of batches) this.loggedSpans += spans.length;
  }

  private overgrown(): boolean {
    return (
      this.loggedSpans > Math.max(MIN_COMPACT_SPANS, this.factor * this.opts.store.stats().spans)
    );
  }

  private async drain(): Promise<void> {
    try {
      while (this.mustRewrite || this.pending.length > 0 || this.overgrown()) {
        if (this.mustRewrite || this.overgrown()) await this.rewrite();
        else await this.append();
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Writes what is pending (or rewrites the file), one write at a time. */
  work(): Promise<void> {
    this.busy ??= this.drain().finally(() => {
      this.busy = undefined;
      // Batches that came after the last check.
      if (this.pending.length > 0 && !this.mustRewrite) setImmediate(() => void this.work());
    });
    return this.busy;
  }

  async sync(): Promise<void> {
    if (!this.unsynced || !this.file) return;
    this.unsynced = false;
    await this.file.datasync();
  }

  /** Stops taking batches, writes and syncs what was taken. */
  async close(): Promise<void> {
    this.closed = true;
    await this.busy;
    await this.work();
    try {
      await this.sync();
    } finally {
      await this.file?.close();
      this.file = undefined;
    }
  }
}
