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
  const factor = opts.compactFactor ?? 2;
  let pending: (readonly SpanRecord[])[] = [];
  let loggedSpans = opts.loaded.loggedSpans;
  let compactions = 0;
  let file: FileHandle | undefined;
  let unsynced = false;
  let mustRewrite = opts.loaded.rewrite;
  /** The write or rewrite in progress; one at a time. */
  let busy: Promise<void> | undefined;
  let closed = false;

  const fail = (err: unknown): void => {
    mustRewrite = true;
    opts.onError(new Error(`cannot write data file ${opts.path}: ${(err as Error).message}`));
  };

  async function rewrite(): Promise<void> {
    // The store now holds everything received: what was pending is in this snapshot.
    const traces = [...opts.store.allTraces()].map((spans) => spans.slice());
    pending = [];
    await file?.close();
    file = undefined;
    await writeDataFile(opts.path, traces);
    loggedSpans = traces.reduce((n, spans) => n + spans.length, 0);
    mustRewrite = false;
    unsynced = false;
    compactions++;
  }

  async function append(): Promise<void> {
    const batches = pending;
    pending = [];
    file ??= await open(opts.path, 'a');
    await file.write(batches.map(encodeRecord).join(''));
    unsynced = true;
    for (const spans of batches) loggedSpans += spans.length;
  }

  const overgrown = () =>
    loggedSpans > Math.max(MIN_COMPACT_SPANS, factor * opts.store.stats().spans);

  async function drain(): Promise<void> {
    try {
      while (mustRewrite || pending.length > 0 || overgrown()) {
        if (mustRewrite || overgrown()) await rewrite();
        else await append();
      }
    } catch (err) {
      fail(err);
    }
  }

  /** Writes what is pending (or rewrites the file), one write at a time. */
  function work(): Promise<void> {
    busy ??= drain().finally(() => {
      busy = undefined;
      // Batches that came after the last check.
      if (pending.length > 0 && !mustRewrite) setImmediate(() => void work());
    });
    return busy;
  }

  async function sync(): Promise<void> {
    if (!unsynced || !file) return;
    unsynced = false;
    await file.datasync();
  }

  if (mustRewrite) {
    try {
      await rewrite();
    } catch (err) {
      throw new CollectorError(
        'DATA_FILE_UNWRITABLE',
        `cannot write data file ${opts.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  opts.store.onAdded((spans) => {
    // While the file must be rewritten, the store itself is what will be written.
    if (closed || mustRewrite) return;
    pending.push(spans);
    if (!busy) setImmediate(() => void work());
  });

  const timer = setInterval(() => {
    // Retries a rewrite after a failed write; syncs when records went in.
    void work()
      .then(sync)
      .catch((err: unknown) => fail(err));
  }, opts.syncIntervalMs);
  timer.unref();

  return {
    get loggedSpans() {
      return loggedSpans;
    },
    get compactions() {
      return compactions;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await busy;
      await work();
      try {
        await sync();
      } finally {
        await file?.close();
        file = undefined;
      }
    },
  };
}
