import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { CollectorOptions } from '../../src/collector/collector.js';
import { send, traceIds, traceIdOf, traces } from './otlp-fixtures.js';

async function tempFile(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tracelab-persist-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'traces.jsonl');
}

async function start(
  t: { after: (fn: () => Promise<void>) => void },
  options: CollectorOptions,
): Promise<RunningCollector> {
  const c = await startCollector({ otlpPort: 0, httpPort: 0, ...options });
  t.after(() => c.close());
  return c;
}

test('the data file is compacted when evictions make it twice the store, and loads the same store', async (t) => {
  const dataFile = await tempFile(t);
  const maxSpans = 300;
  const c = await start(t, { maxSpans, dataFile });
  // 3,000 spans through a store of 300: without compaction the file would hold them all.
  for (let batch = 0; batch < 30; batch++) await send(c.otlpUrl, traces(batch * 50, 50));
  const live = [...c.store.allTraces()].map((spans) => spans[0]!.traceId);
  assert.equal(live.length, maxSpans / 2);
  await c.close();

  const records = (await readFile(dataFile, 'utf8')).trimEnd().split('\n').slice(1);
  const spansInFile = records
    .map((line) => (JSON.parse(line.slice(9)) as { spans: unknown[] }).spans.length)
    .reduce((a, b) => a + b, 0);
  // Rewritten once over 1,000 spans (the least worth a rewrite): never much more than that.
  assert.ok(spansInFile <= 1000 + 100, `${spansInFile} spans in the file`);
  assert.ok(spansInFile >= maxSpans, `${spansInFile} spans in the file`);

  const again = await start(t, { maxSpans, dataFile });
  assert.deepEqual(
    [...again.store.allTraces()].map((spans) => spans[0]!.traceId),
    live,
  );
});

test('eviction holds after a restart: evicted traces stay gone, a smaller --max-spans evicts more', async (t) => {
  const dataFile = await tempFile(t);
  const c = await start(t, { maxSpans: 5, dataFile });
  for (let n = 1; n <= 4; n++) await send(c.otlpUrl, traces(n, 1));
  const all = [1, 2, 3, 4].map(traceIdOf);
  assert.deepEqual(await traceIds(c.queryUrl, all), all.slice(2));
  await c.close();

  const same = await start(t, { maxSpans: 5, dataFile });
  assert.deepEqual(await traceIds(same.queryUrl, all), all.slice(2));
  assert.deepEqual(same.store.stats().spans, 4);
  await same.close();

  const smaller = await start(t, { maxSpans: 2, dataFile });
  assert.deepEqual(await traceIds(smaller.queryUrl, all), all.slice(3));
});
