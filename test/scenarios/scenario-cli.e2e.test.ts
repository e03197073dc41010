import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { scenarioLab } from '../helpers/scenario.js';

const lab = scenarioLab();
const { scenario } = lab;

const adminGet = async (path: string) => (await fetch(`${lab.sys.adminUrl}${path}`)).json();

test('with no scenario running, hint says how to start one and fails', async () => {
  const r = await scenario('hint');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no scenario is running: start one with tracelab scenario start/);
});

test("the admin endpoint refuses a scenario record that is not whole, in the lab's JSON shape", async () => {
  const res = await fetch(`${lab.sys.adminUrl}/scenario`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'slow-downstream',
      startedAt: 1,
      hintsShown: 7,
      seed: null,
      mystery: false,
    }),
  });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), {
    statusCode: 400,
    code: 'ERR_BAD_SCENARIO',
    error: 'Bad Request',
    message: 'hintsShown must be a whole number from 0 to 3',
  });
});

test('a scenario set up by faults: start, three hints, a wrong then a right answer, reveal, progress, stop', async () => {
  const start = await scenario('start', 'slow-downstream');
  assert.equal(start.code, 0, start.stderr);
  assert.match(start.stdout, /^Scenario slow-downstream: A slow downstream \(beginner\)/);
  assert.match(start.stdout, /Which service is slow/);
  assert.ok(
    start.stdout.includes(
      `${lab.sys.queryUrl}/search?service=notification-service&lookback=15m&tags=tracelab.fault%3Dlatency`,
    ),
    start.stdout,
  );
  assert.match(
    start.stderr,
    /^setting the scenario up\n[\s\S]*6 orders sent and finished; their traces are in\n$/,
  );
  const faults = (await adminGet('/faults')) as { effective: string[] };
  assert.deepEqual(faults.effective, ['notification.latency=800ms']);
  const held = (await adminGet('/scenario')) as {
    scenario: { id: string; traceIds: string[]; mystery: boolean };
  };
  assert.equal(held.scenario.id, 'slow-downstream');
  assert.equal(held.scenario.traceIds.length, 6);

  const hints = [];
  for (let i = 1; i <= 3; i++) {
    const h = await scenario('hint');
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, new RegExp(`^Hint ${i} of 3: `));
    hints.push(h.stdout);
  }
  assert.match(hints[2]!, /tracelab\.fault=latency/);
  assert.equal(
    ((await adminGet('/scenario')) as { scenario: { hintsShown: number } }).scenario.hintsShown,
    3,
  );

  const wrong = await scenario('answer', 'processing', '--cause', 'cpu_bound', '--json');
  assert.equal(wrong.code, 1, wrong.stderr);
  const w = JSON.parse(wrong.stdout) as {
    correct: boolean;
    serviceCorrect: boolean;
    explanation: string;
  };
  assert.deepEqual([w.correct, w.serviceCorrect], [false, false]);
  assert.doesNotMatch(w.explanation, /notification/);
  // A wrong answer solves nothing: no progress is written.
  await assert.rejects(readFile(lab.env.TRACELAB_PROGRESS_FILE!, 'utf8'), { code: 'ENOENT' });

  const right = await scenario('answer', 'notification-service', '--cause', 'latency', '--json');
  assert.equal(right.code, 0, right.stderr);
  const a = JSON.parse(right.stdout) as {
    correct: boolean;
    serviceCorrect: boolean;
    causeCorrect: boolean;
    explanation: string;
    evidence: {
      service: string;
      figures: Record<string, number | string | null>;
      lines: string[];
      links: { url: string }[];
    };
  };
  assert.deepEqual([a.correct, a.serviceCorrect, a.causeCorrect], [true, true, true]);
  assert.match(a.explanation, /^Right: notification\.latency=800ms/);
  assert.equal(a.evidence.service, 'notification-service');
  assert.equal(a.evidence.figures.latencyFaultMs, 800);
  assert.ok(
    (a.evidence.figures.stageP50Us as number) >= 800_000,
    JSON.stringify(a.evidence.figures),
  );
  assert.ok((a.evidence.figures.queueWaitMaxUs as number) > 0, JSON.stringify(a.evidence.figures));
  assert.ok(
    a.evidence.lines.some((l) => /^notify_order: p50 \d/.test(l)),
    a.evidence.lines.join('\n'),
  );
  assert.ok(a.evidence.lines.includes('added latency: 800 ms per order'));
  assert.ok(a.evidence.links.some((l) => l.url === `${lab.sys.queryUrl}/system`));
  assert.ok(a.evidence.links.some((l) => l.url.startsWith(`${lab.sys.queryUrl}/trace/`)));

  // Reveal and list only read what the answer left: three commands side by side.
  const [reveal, list, listedJson] = await Promise.all([
    scenario('reveal', '--json'),
    scenario('list'),
    scenario('list', '--json'),
  ]);
  assert.equal(reveal.code, 0, reveal.stderr);
  const r = JSON.parse(reveal.stdout) as {
    id: string;
    service: string;
    cause: string;
    explanation: string;
    evidence: { figures: Record<string, unknown> };
  };
  assert.deepEqual(
    [r.id, r.service, r.cause],
    ['slow-downstream', 'notification', 'slow_downstream'],
  );
  assert.equal(r.evidence.figures.latencyFaultMs, 800);

  const progress = JSON.parse(await readFile(lab.env.TRACELAB_PROGRESS_FILE!, 'utf8')) as {
    solved: string[];
  };
  assert.deepEqual(progress.solved, ['slow-downstream']);
  assert.match(list.stdout, /^✓ slow-downstream /m);
  assert.match(list.stdout, /^ {2}crash-loop /m);
  const listed = JSON.parse(listedJson.stdout) as {
    id: string;
    solved: boolean;
  }[];
  assert.deepEqual(
    listed.filter((s) => s.solved).map((s) => s.id),
    ['slow-downstream'],
  );

  const stop = await scenario('stop');
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual(((await adminGet('/faults')) as { effective: string[] }).effective, []);
  assert.deepEqual(await adminGet('/scenario'), { scenario: null });
});
