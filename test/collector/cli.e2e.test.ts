import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import type { JaegerResponse, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import {
  otlpJson,
  postJson,
  send,
  spanIdOf,
  traceIdOf,
  traceIds,
  traces,
} from './otlp-fixtures.js';

const READY =
  /collector: OTLP\/HTTP receiver on (http:\/\/\S+\/v1\/traces)\ncollector: query API on (http:\/\/\S+)\n/;
const EPHEMERAL = ['--otlp-port', '0', '--http-port', '0'];

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tracelab-collector-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('tracelab collector --help lists its flags and environment variables', async () => {
  const r = await runCli(['collector', '--help']);
  assert.equal(r.code, 0);
  for (const text of [
    '--host',
    '--otlp-port',
    '--http-port',
    '--max-spans',
    '--data',
    'TRACELAB_COLLECTOR_HOST',
    'TRACELAB_OTLP_PORT',
    'TRACELAB_HTTP_PORT',
    'TRACELAB_MAX_SPANS',
    'TRACELAB_DATA',
  ]) {
    assert.ok(r.stdout.includes(text), `--help mentions ${text}`);
  }
});

test('tracelab collector refuses bad flags with a message and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--otlp-port', '70000'], /--otlp-port: must be a port number from 0 to 65535/],
    [['--max-spans', '0'], /--max-spans: must be at least 1/],
    [['--http-port', 'eighty'], /--http-port: expected a number/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['collector', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('with --data, traces survive a restart of tracelab collector', async (t) => {
  const dir = await tempDir(t);
  const dataFile = join(dir, 'nested', 'traces.jsonl');
  const id = traceIdOf(42);

  const first = await startCli(['collector', ...EPHEMERAL, '--data', dataFile], READY);
  t.after(() => stopChild(first.child));
  const [, otlpUrl] = first.match;
  const res = await postJson(
    otlpUrl!,
    otlpJson([
      { traceId: id, spanId: spanIdOf(1), service: 'api' },
      { traceId: id, spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'worker' },
    ]),
  );
  assert.equal(res.status, 200);
  assert.equal(await stopChild(first.child), 0);

  // The second start reads the file from the environment variable rather than the flag.
  const second = await startCli(['collector', ...EPHEMERAL], READY, {
    env: { TRACELAB_DATA: dataFile },
  });
  t.after(() => stopChild(second.child));
  const [, , queryUrl] = second.match;
  const got = await fetch(`${queryUrl}/api/traces/${id}`);
  assert.equal(got.status, 200);
  const trace = ((await got.json()) as JaegerResponse<JaegerTrace[]>).data[0]!;
  assert.deepEqual(
    trace.spans.map((s) => [
      s.spanID,
      trace.processes[s.processID]!.serviceName,
      s.references.length,
    ]),
    [
      [spanIdOf(1), 'api', 0],
      [spanIdOf(2), 'worker', 1],
    ],
  );
  const services = (await (await fetch(`${queryUrl}/api/services`)).json()) as JaegerResponse<
    string[]
  >;
  assert.deepEqual(services.data, ['api', 'worker']);
  assert.equal(await stopChild(second.child), 0);
});

const V2 = '{"format":"tracelab-collector-traces","version":2}\n';
const WRONG_SHAPE = '{"resources":[{"serviceName":"a","attributes":[]}],"spans":[{"traceId":"x"}]}';
const record = (json: string) => `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;

test('a corrupt data file stops tracelab collector with a clear error and is left untouched', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, string, RegExp][] = [
    ['garbage.jsonl', 'this is not json\n', /is corrupt at line 1: .*JSON/],
    [
      'foreign.jsonl',
      '{"some":"other file"}\n',
      /is corrupt at line 1: not a tracelab collector data file/,
    ],
    [
      'truncated.jsonl',
      '{"format":"tracelab-collector-traces","version":1}\n{"resources":[],"spans":[{"traceId":',
      /is corrupt at line 2/,
    ],
    [
      'wrong-shape.jsonl',
      '{"format":"tracelab-collector-traces","version":1}\n{"resources":[{"serviceName":"a","attributes":[]}],"spans":[{"traceId":"x"}]}\n',
      /is corrupt at line 2: a span has no string spanId/,
    ],
    [
      'bad-checksum.jsonl',
      `${V2}00000000 ${WRONG_SHAPE}\n${record(WRONG_SHAPE)}`,
      /is corrupt at line 2: record with a wrong checksum \(and more records follow\)/,
    ],
    [
      'checksummed-wrong-shape.jsonl',
      `${V2}${record(WRONG_SHAPE)}`,
      /is corrupt at line 2: a span has no string spanId/,
    ],
  ];
  for (const [name, content, message] of cases) {
    const file = join(dir, name);
    await writeFile(file, content);
    const r = await runCli(['collector', ...EPHEMERAL, '--data', file]);
    assert.equal(r.code, 2, name);
    assert.match(r.stderr, message, name);
    assert.match(r.stderr, /move it away or pass another --data/, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(await readFile(file, 'utf8'), content, `${name} untouched`);
  }
  const r = await runCli(['collector', ...EPHEMERAL, '--data', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read data file .*: EISDIR/);
});

test('a last record cut short by a crash is dropped with a warning; the rest loads and appends go on', async (t) => {
  const dataFile = join(await tempDir(t), 'traces.jsonl');
  const first = await startCli(['collector', ...EPHEMERAL, '--data', dataFile], READY);
  t.after(() => stopChild(first.child));
  await send(first.match[1]!, traces(1, 1));
  await send(first.match[1]!, traces(2, 1));
  assert.equal(await stopChild(first.child), 0);

  // What a crash in the middle of an append leaves: part of a record, no newline.
  const lines = (await readFile(dataFile, 'utf8')).split('\n');
  const lastRecord = lines[lines.length - 2]!;
  await appendFile(dataFile, lastRecord.slice(0, lastRecord.length >> 1));

  const second = await startCli(['collector', ...EPHEMERAL, '--data', dataFile], READY);
  t.after(() => stopChild(second.child));
  assert.match(second.output(), /dropped its last record, line 4, cut short by a crash/);
  const all = [1, 2, 3].map(traceIdOf);
  assert.deepEqual(await traceIds(second.match[2]!, all), all.slice(0, 2));
  await send(second.match[1]!, traces(3, 1));
  assert.equal(await stopChild(second.child), 0);

  const third = await startCli(['collector', ...EPHEMERAL, '--data', dataFile], READY);
  t.after(() => stopChild(third.child));
  assert.doesNotMatch(third.output(), /dropped/);
  assert.deepEqual(await traceIds(third.match[2]!, all), all);
  assert.equal(await stopChild(third.child), 0);
});
