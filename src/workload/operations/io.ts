import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import type { IoOperation } from '../types.js';

export interface IoDeps {
  readonly redis: Redis;
  /** Prefix of every key, e.g. `tracelab:`; keys go under `<prefix>workload:<run id>:`. */
  readonly keyPrefix: string;
  /** Every key written gets this TTL, in the same MULTI as the write, so all of them expire. */
  readonly ttlSeconds: number;
  /** Folder in which the `tracelab-*` temp folder is made (default: the OS temp folder). */
  readonly tmpRoot?: string;
}

export interface IoResult {
  readonly operation: IoOperation;
  /** Redis commands sent (MULTI/EXEC not counted). */
  readonly redisOps: number;
  /** File lines written and read back, over all passes. */
  readonly lines: number;
  readonly fileBytes: number;
}

/** Lines per MULTI: one round trip per batch, as a real bulk loader would do. */
const LINES_PER_BATCH = 100;

interface Shape {
  readonly passes: number;
  /** Redis writes per line: 2 for intensive, 4 for extreme ("twice the intensity"). */
  readonly opsPerLine: number;
  /** Every n-th line is then read back by its own round trip (the N+1 query pattern). */
  readonly lookupEvery: number;
}

export async function runIoOperation(
  operation: IoOperation,
  items: number,
  deps: IoDeps,
): Promise<IoResult> {
  const keys = keysFor(deps.keyPrefix);
  switch (operation) {
    case 'redis_basic':
      return { operation, redisOps: await redisBasic(deps, keys, items), lines: 0, fileBytes: 0 };
    case 'file_and_redis':
      return {
        operation,
        ...(await inTempFolder(deps, (dir) => fileAndRedis(deps, keys, dir, items))),
      };
    case 'intensive_io_operations':
      return {
        operation,
        ...(await inTempFolder(deps, (dir) =>
          bulkFileAndRedis(
            deps,
            keys,
            { dir, lines: items },
            { passes: 1, opsPerLine: 2, lookupEvery: 1 },
          ),
        )),
      };
    case 'extreme_io_operations':
      return {
        operation,
        ...(await inTempFolder(deps, (dir) =>
          bulkFileAndRedis(
            deps,
            keys,
            { dir, lines: items },
            { passes: 4, opsPerLine: 4, lookupEvery: 8 },
          ),
        )),
      };
  }
}

interface Keys {
  readonly base: string;
  readonly list: string;
  readonly records: string;
  readonly scores: string;
  readonly stats: string;
  readonly visitors: string;
}

function keysFor(prefix: string): Keys {
  const base = `${prefix}workload:${randomBytes(6).toString('hex')}:`;
  return {
    base,
    list: `${base}lines`,
    records: `${base}records`,
    scores: `${base}scores`,
    stats: `${base}stats`,
    visitors: `${base}visitors`,
  };
}

/** The temp folder is removed whatever happens, including when the work throws. */
async function inTempFolder<T>(deps: IoDeps, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(deps.tmpRoot ?? tmpdir(), 'tracelab-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `redis_basic`: one round trip per op, alternating SET (with TTL) and GET of what was set. */
async function redisBasic(deps: IoDeps, keys: Keys, ops: number): Promise<number> {
  for (let i = 0; i < ops; i++) {
    const key = `${keys.base}basic:${i >> 1}`;
    if (i % 2 === 0) await deps.redis.set(key, `value-${i}`, 'EX', deps.ttlSeconds);
    else await deps.redis.get(key);
  }
  return ops;
}

function orderLine(i: number, pass: number): string {
  return JSON.stringify({
    line: i,
    pass,
    order: `order-${i}`,
    category: `category-${i % 11}`,
    amount: ((i * 7919) % 10_000) / 100,
    note: 'x'.repeat(16 + (i % 48)),
  });
}

/** Writes `lines` lines in 64 KiB writes, then syncs the file to disk. */
async function writeLines(
  file: string,
  lines: number,
  line: (i: number) => string,
): Promise<number> {
  const handle = await open(file, 'w');
  let bytes = 0;
  try {
    let buffer: string[] = [];
    let size = 0;
    for (let i = 0; i < lines; i++) {
      const text = `${line(i)}\n`;
      buffer.push(text);
      size += text.length;
      if (size >= 65_536) {
        await handle.write(buffer.join(''));
        bytes += size;
        buffer = [];
        size = 0;
      }
    }
    if (size > 0) {
      await handle.write(buffer.join(''));
      bytes += size;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return bytes;
}

interface LineRecord {
  readonly line: number;
  readonly order: string;
  readonly category: string;
  readonly amount: number;
}

/** Reads the file back line by line, as a log or CSV processor would. */
async function* readRecords(file: string): AsyncGenerator<LineRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const text of lines) {
    if (text) yield JSON.parse(text) as LineRecord;
  }
}

/** `file_and_redis`: write a file, read it back, push each line to a list, then query it. */
async function fileAndRedis(deps: IoDeps, keys: Keys, dir: string, lines: number) {
  const file = path.join(dir, 'orders.jsonl');
  const fileBytes = await writeLines(file, lines, (i) => orderLine(i, 0));
  let redisOps = 0;
  let batch: LineRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const multi = deps.redis.multi().rpush(keys.list, ...batch.map((r) => r.order));
    for (const r of batch) multi.hincrbyfloat(keys.stats, r.category, r.amount);
    multi.expire(keys.list, deps.ttlSeconds).expire(keys.stats, deps.ttlSeconds);
    await multi.exec();
    redisOps += 3 + batch.length;
    batch = [];
  };
  for await (const record of readRecords(file)) {
    batch.push(record);
    if (batch.length >= LINES_PER_BATCH) await flush();
  }
  await flush();
  await deps.redis.llen(keys.list);
  await deps.redis.lrange(keys.list, 0, 9);
  await deps.redis.hgetall(keys.stats);
  return { redisOps: redisOps + 3, lines, fileBytes };
}

/**
 * `intensive_io_operations` (1 pass, 2 Redis ops per line) and `extreme_io_operations`
 * (4 passes, 4 ops per line): per pass, write the file, read it back line by line, write
 * what was read into a second file, store every line in Redis in MULTI batches, query what
 * was stored, then read lines back one round trip each (every line / every 8th line).
 */
async function bulkFileAndRedis(
  deps: IoDeps,
  keys: Keys,
  { dir, lines }: { readonly dir: string; readonly lines: number },
  shape: Shape,
) {
  let redisOps = 0;
  let fileBytes = 0;
  for (let pass = 0; pass < shape.passes; pass++) {
    const input = path.join(dir, `orders-${pass}.jsonl`);
    fileBytes += await writeLines(input, lines, (i) => orderLine(i, pass));
    const output = await open(path.join(dir, `enriched-${pass}.jsonl`), 'w');
    try {
      let batch: LineRecord[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const multi = deps.redis.multi();
        for (const r of batch) {
          multi.hset(keys.records, String(r.line), r.order).zadd(keys.scores, r.amount, r.order);
          if (shape.opsPerLine >= 4) {
            multi.hincrbyfloat(keys.stats, r.category, r.amount).pfadd(keys.visitors, r.order);
          }
        }
        for (const key of [keys.records, keys.scores, keys.stats, keys.visitors]) {
          multi.expire(key, deps.ttlSeconds);
        }
        await multi.exec();
        redisOps += batch.length * shape.opsPerLine + 4;
        const enriched = batch.map((r) => `${JSON.stringify({ ...r, pass })}\n`).join('');
        await output.write(enriched);
        fileBytes += enriched.length;
        batch = [];
      };
      for await (const record of readRecords(input)) {
        batch.push(record);
        if (batch.length >= LINES_PER_BATCH) await flush();
      }
      await flush();
      await output.sync();
    } finally {
      await output.close();
    }
    await Promise.all([
      deps.redis.hlen(keys.records),
      deps.redis.zcard(keys.scores),
      deps.redis.zrevrangebyscore(keys.scores, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 10),
    ]);
    await deps.redis.hmget(
      keys.records,
      ...Array.from({ length: Math.min(lines, 100) }, (_, i) => String(i)),
    );
    redisOps += 4;
    for (let i = 0; i < lines; i += shape.lookupEvery) {
      await deps.redis.hget(keys.records, String(i));
      redisOps++;
    }
  }
  return { redisOps, lines: lines * shape.passes, fileBytes };
}
