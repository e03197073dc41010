import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

const env = { TRACELAB_ADMIN_URL: '' };

/** A loopback port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('tracelab intensity, scale and autoscale with no lab running: a quick clear error, exit 1', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  for (const args of [
    ['intensity', 'processing=heavy'],
    ['scale'],
    ['scale', 'notification=2'],
    ['autoscale'],
    ['autoscale', 'set', 'processing=1..3'],
    ['autoscale', 'off'],
  ]) {
    const r = await runCli([...args, '--admin-url', url], { env, timeoutMs: 10_000 });
    assert.equal(r.code, 1, args.join(' '));
    assert.match(
      r.stderr,
      new RegExp(
        `no tracelab up answers at ${url} .*start it with tracelab up, or give --admin-url`,
      ),
    );
  }
});

test('words that are not <service>=<value> are usage errors, before any request', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const cases: [string[], RegExp][] = [
    [['intensity', 'processing'], /"processing": write <service>=<value>, e\.g\. processing=heavy/],
    [['scale', 'notification'], /"notification": write <service>=<value>, e\.g\. notification=3/],
    [['scale', 'notification=two'], /"notification=two": replicas is a whole number from 1 to 32/],
    [['autoscale', 'set', 'processing=3'], /"processing=3": write <service>=<min>\.\.<max>/],
    [['autoscale', 'set'], /write show, set <service>=<min>\.\.<max>…, or off/],
    [['autoscale', 'grow'], /"grow": write show, set/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli([...args, '--admin-url', url], { env });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test('--help says what the words mean, with examples', async () => {
  const intensity = await runCli(['intensity', '--help'], { env });
  assert.equal(intensity.code, 0);
  assert.match(
    intensity.stdout,
    /Usage: tracelab intensity \[<service>=<light\|medium\|heavy\|severe\|off>…\]/,
  );
  assert.match(intensity.stdout, /--admin-url/);
  assert.match(intensity.stdout, /tracelab intensity processing=heavy/);
  const scale = await runCli(['scale', '--help'], { env });
  assert.equal(scale.code, 0);
  assert.match(scale.stdout, /the API runs once/);
  assert.match(scale.stdout, /tracelab scale notification=3/);
  const autoscale = await runCli(['autoscale', '--help'], { env });
  assert.equal(autoscale.code, 0);
  assert.match(
    autoscale.stdout,
    /Usage: tracelab autoscale \[show \| set <service>=<min>\.\.<max>…/,
  );
  assert.match(autoscale.stdout, /--autoscale-lag/);
  assert.match(autoscale.stdout, /tracelab autoscale set processing=1\.\.4/);
});
