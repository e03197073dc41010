import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';

/* `/api/tracelab/autoscale`: up's scaling events read through for the UI, a read only. */

const events = [
  { at: 1_700_000_000_000, service: 'processing', from: 1, to: 2, reason: 'r', backlog: 80 },
];
let wired: RunningCollector;
let bare: RunningCollector;
let gone: RunningCollector;

before(async () => {
  wired = await startCollector({
    otlpPort: 0,
    httpPort: 0,
    autoscale: () => Promise.resolve({ events }),
  });
  bare = await startCollector({ otlpPort: 0, httpPort: 0 });
  gone = await startCollector({
    otlpPort: 0,
    httpPort: 0,
    autoscale: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')),
  });
});
after(async () => {
  await Promise.all([wired, bare, gone].map((c) => c?.close()));
});

const get = (c: RunningCollector, init: RequestInit = {}) =>
  fetch(`${c.queryUrl}/api/tracelab/autoscale`, init);
const msg = async (res: Response) =>
  ((await res.json()) as { errors: { msg: string }[] }).errors[0]!.msg;

test("the lab's events, in the query API's envelope", async () => {
  const res = await get(wired);
  assert.equal(res.status, 200);
  assert.deepEqual(((await res.json()) as { data: unknown }).data, { events });
});

test('without --admin-url: 404 naming it; a lab that does not answer: 502', async () => {
  const none = await get(bare);
  assert.equal(none.status, 404);
  assert.match(await msg(none), /started without --admin-url/);
  const down = await get(gone);
  assert.equal(down.status, 502);
  assert.match(await msg(down), /admin endpoint did not answer: connect ECONNREFUSED/);
});

test('a read only: no POST route', async () => {
  const post = await get(wired, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.ok(post.status === 404 || post.status === 405, String(post.status));
});
