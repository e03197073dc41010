import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NO_JS_FRAME,
  countByOwner,
  differences,
  functionOf,
  ownerOf,
  parsePerfScript,
} from '../../bench/perf-samples.js';

// Three samples as `perf script` prints them (frames trimmed), the second with no JS frame.
const SCRIPT = `node 26200  2401.195555:    2004008 cpu-clock:ppp: 
\t          c618d4 v8::internal::(anonymous namespace)::CaptureAsyncStackTrace+0x734 (/usr/bin/node)
\t          b703f6 v8::internal::Builtin_ErrorCaptureStackTrace+0x116 (/usr/bin/node)
\t    7f5dbf90a9b4 JS:^DOMException node:internal/per_context/domexception:52:14+0xf4 (/tmp/perf-26200.map)
\t    7f5dbf9684bf JS:*execute /work/main/node_modules/cockatiel/dist/TimeoutPolicy.js:56:18+0x107f (/tmp/perf-26200.map)
\t         14f7cb4 Builtins_RunMicrotasks+0x274 (/usr/bin/node)

node 26200  2401.197559:    2004008 cpu-clock:ppp: 
\t          9d5f27 node::StreamBase::CallJSOnreadMethod+0xa7 (/usr/bin/node)
\t         14b8865 uv__read+0x2f5 (/usr/bin/node)

node 26201/26205  2401.199563:    2004008 cpu-clock:ppp: 
\t         1508083 Builtins_LoadIC+0x43 (/usr/bin/node)
\t    7f5dbf933a7d JS:*startSpan /work/main/node_modules/@opentelemetry/sdk-trace/build/src/Tracer.js:42:14+0x187 (/tmp/perf-26201.map)
\t    7f5dbf933a7d JS:*inSpan /work/main/dist/src/telemetry/span.js:26:16+0x1 (/tmp/perf-26201.map)
`;

test('perf script output is read as samples: their process and frames, innermost first', () => {
  const samples = parsePerfScript(SCRIPT);
  assert.deepEqual(
    samples.map((s) => [s.pid, s.frames.length]),
    [
      [26200, 5],
      [26200, 2],
      [26201, 3],
    ],
  );
  assert.match(samples[0]!.frames[0]!, /CaptureAsyncStackTrace/);
});

test('a sample counts for the owner of its innermost JS frame; engine frames under it are charged to it', () => {
  const samples = parsePerfScript(SCRIPT);
  assert.deepEqual(
    [...countByOwner(samples)].sort(),
    [
      ['@opentelemetry/sdk-trace', 1],
      [NO_JS_FRAME, 1],
      ['node:internal/per_context/domexception', 1],
    ].sort(),
  );
  assert.deepEqual(
    [...countByOwner(samples, 'function').keys()].sort(),
    [
      'DOMException node:internal/per_context/domexception:52:14',
      NO_JS_FRAME,
      'startSpan /work/main/node_modules/@opentelemetry/sdk-trace/build/src/Tracer.js:42:14',
    ].sort(),
  );
});

test('owners: a package (scoped too), a tracelab module, a Node module', () => {
  assert.equal(ownerOf('JS:*query /x/node_modules/pg/lib/client.js:1:1'), 'pg');
  assert.equal(
    ownerOf('JS:*q /x/node_modules/@opentelemetry/instrumentation-pg/build/src/a.js:1:1'),
    '@opentelemetry/instrumentation-pg',
  );
  assert.equal(
    ownerOf('JS:*inSpan /work/main/dist/src/telemetry/span.js:26:16'),
    'tracelab/telemetry',
  );
  assert.equal(ownerOf('JS:*slice node:buffer:635:12+0x1'), 'node:buffer');
  assert.equal(ownerOf('JS:*anonymous'), 'other JS');
  assert.equal(
    functionOf('7f5d JS:~run node:async_hooks:332:6+0x5b1 (/tmp/perf-1.map)'),
    'run node:async_hooks:332:6',
  );
});

test('differences between two profiles, the largest growth first, owners of either kept', () => {
  const rows = differences(
    new Map([
      ['pg', 50],
      ['fastify', 30],
    ]),
    new Map([
      ['pg', 52],
      ['@opentelemetry/instrumentation-pg', 40],
      ['fastify', 25],
    ]),
  );
  assert.deepEqual(
    rows.map((r) => [r.owner, r.before, r.after, r.difference]),
    [
      ['@opentelemetry/instrumentation-pg', 0, 40, 40],
      ['pg', 50, 52, 2],
      ['fastify', 30, 25, -5],
    ],
  );
});
