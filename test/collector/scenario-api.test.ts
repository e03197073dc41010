import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { scenarioDesk } from '../../src/cli/scenario-desk.js';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';

/** `/scenario` as up's admin endpoint holds it: one record in memory (GET, PUT). */
function fakeAdmin(): Promise<{ url: string; held: { record: unknown }; server: Server }> {
  const held: { record: unknown } = { record: null };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'PUT') held.record = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ scenario: held.record }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        held,
        server,
      }),
    ),
  );
}

describe("the collector's scenario routes, over the desk the CLI hands it", () => {
  let admin: Awaited<ReturnType<typeof fakeAdmin>>;
  let collector: RunningCollector;
  let bare: RunningCollector;
  let gone: RunningCollector;
  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/tracelab/scenario${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const msg = async (res: Response) =>
    ((await res.json()) as { errors: { msg: string }[] }).errors[0]!.msg;

  before(async () => {
    admin = await fakeAdmin();
    const progress = '/nonexistent/never-written.json';
    collector = await startCollector({
      otlpPort: 0,
      httpPort: 0,
      scenario: (traces) => scenarioDesk(admin.url, traces, progress),
    });
    bare = await startCollector({ otlpPort: 0, httpPort: 0 });
    // An admin endpoint nothing listens on: a quick 502, not a hang.
    gone = await startCollector({
      otlpPort: 0,
      httpPort: 0,
      scenario: (traces) => scenarioDesk('http://127.0.0.1:9', traces, progress),
    });
  });
  after(async () => {
    await Promise.all([collector.close(), bare.close(), gone.close()]);
    admin.server.close();
  });

  test('none running: null; a hint or an answer says none is running (404)', async () => {
    const res = await fetch(`${collector.queryUrl}/api/tracelab/scenario`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { data: unknown }).data, null);
    const hint = await post(collector.queryUrl, '/hint', {});
    assert.equal(hint.status, 404);
    assert.match(await msg(hint), /no scenario is running/);
  });

  test('running: the question and the hints shown so far, never the truth; a hint counts in the lab', async () => {
    admin.held.record = {
      id: 'slow-downstream',
      startedAt: Date.now(),
      hintsShown: 0,
      seed: null,
      mystery: false,
      traceIds: [],
      restore: { faults: [], intensities: {}, replicas: {} },
    };
    const res = await fetch(`${collector.queryUrl}/api/tracelab/scenario`);
    const text = await res.text();
    const view = (JSON.parse(text) as { data: Record<string, unknown> }).data;
    assert.equal(view.id, 'slow-downstream');
    assert.deepEqual(view.hints, []);
    assert.equal(view.hintsTotal, 3);
    assert.ok((view.causes as string[]).includes('slow_downstream'));
    assert.doesNotMatch(text, /explanation|truth|notification\.latency/);
    const hint = await post(collector.queryUrl, '/hint', {});
    assert.equal(hint.status, 200);
    const after1 = ((await hint.json()) as { data: { hints: string[] } }).data;
    assert.equal(after1.hints.length, 1);
    assert.equal((admin.held.record as { hintsShown: number }).hintsShown, 1);
  });

  test('a wrong service is graded "not" without the truth; bad answers are 400 saying what to choose', async () => {
    const wrong = await post(collector.queryUrl, '/answer', { service: 'processing' });
    assert.equal(wrong.status, 200);
    const grade = ((await wrong.json()) as { data: { correct: boolean; explanation: string } })
      .data;
    assert.equal(grade.correct, false);
    assert.doesNotMatch(grade.explanation, /notification/);
    const unknown = await post(collector.queryUrl, '/answer', { service: 'nowhere' });
    assert.equal(unknown.status, 400);
    assert.match(await msg(unknown), /no service "nowhere"/);
    const cause = await post(collector.queryUrl, '/answer', { service: 'api', cause: 'gremlins' });
    assert.equal(cause.status, 400);
    assert.match(await msg(cause), /no cause "gremlins"/);
    const shape = await post(collector.queryUrl, '/answer', ['api']);
    assert.equal(shape.status, 400);
  });

  test('changes only as JSON from no foreign Origin; no desk is 404; no admin endpoint is 502', async () => {
    const foreign = await post(collector.queryUrl, '/hint', {}, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { code: string }).code, 'ERR_CROSS_SITE');
    const text = await fetch(`${collector.queryUrl}/api/tracelab/scenario/hint`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    assert.equal(text.status, 403);
    assert.equal((admin.held.record as { hintsShown: number }).hintsShown, 1);
    const none = await fetch(`${bare.queryUrl}/api/tracelab/scenario`);
    assert.equal(none.status, 404);
    assert.match(await msg(none), /--admin-url/);
    const down = await fetch(`${gone.queryUrl}/api/tracelab/scenario`);
    assert.equal(down.status, 502);
    assert.match(await msg(down), /no tracelab up answers/);
  });
});
