import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allowedHostNames,
  bindWarning,
  checkHost,
  checkStateChange,
  hasBody,
  hostNameOf,
  isLoopbackBind,
  listenFailure,
  refusalBody,
} from '../../src/http-guard/index.js';

const LOOPBACK = allowedHostNames({ bindHost: '127.0.0.1' });

test('the names a server answers to: loopback, a specific bind address, each public host', () => {
  assert.deepEqual([...allowedHostNames({})], ['localhost', '127.0.0.1', '::1']);
  assert.deepEqual(
    [...allowedHostNames({ bindHost: '0.0.0.0' })],
    ['localhost', '127.0.0.1', '::1'],
  );
  assert.deepEqual([...allowedHostNames({ bindHost: '::' })], ['localhost', '127.0.0.1', '::1']);
  assert.ok(allowedHostNames({ bindHost: 'lab.lan' }).has('lab.lan'));
  assert.ok(allowedHostNames({ bindHost: '[fe80::1]' }).has('fe80::1'));
  const withPublic = allowedHostNames({ publicHosts: ['Lab.Example', 'a.test,b.test.'] });
  for (const name of ['lab.example', 'a.test', 'b.test']) assert.ok(withPublic.has(name), name);
  // Not a host name: ignored rather than trusted.
  assert.equal(allowedHostNames({ publicHosts: ['evil.com@localhost'] }).size, 3);
});

test('a Host header by its name alone: port dropped, IPv6 brackets and case handled', () => {
  const cases: Array<[string, string | undefined]> = [
    ['localhost:8080', 'localhost'],
    ['LOCALHOST', 'localhost'],
    ['localhost.:80', 'localhost'],
    ['127.0.0.1:4318', '127.0.0.1'],
    ['[::1]:16686', '::1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['evil.com@localhost', undefined],
    ['localhost:80/x', undefined],
    ['[::1]x', undefined],
    ['', undefined],
  ];
  for (const [header, name] of cases) assert.equal(hostNameOf(header), name, header);
});

test('Host: loopback names and IP addresses pass, any other name gets 421 saying what to do', () => {
  for (const host of ['localhost:8080', '127.0.0.1:1', '[::1]:2', '192.168.1.20:8080', undefined]) {
    assert.equal(checkHost(host, LOOPBACK), undefined, String(host));
  }
  for (const host of [
    'attacker.example',
    'attacker.example:8080',
    'evil.localhost:80',
    'localhost.attacker.example',
    'a@localhost',
    '',
  ]) {
    const r = checkHost(host, LOOPBACK);
    assert.equal(r?.status, 421, host);
    assert.equal(r?.code, 'ERR_UNKNOWN_HOST');
  }
  assert.equal(
    checkHost('attacker.example', LOOPBACK)?.message,
    'Host "attacker.example" is not a name this lab serves (localhost, 127.0.0.1, ::1); add it with --public-host if you reach the lab by that name',
  );
  assert.equal(
    checkHost('lab.example:8080', allowedHostNames({ publicHosts: ['lab.example'] })),
    undefined,
  );
});

test('a state change must be JSON, from no foreign Origin, to a Host the lab serves', () => {
  const ok = {
    method: 'POST',
    contentType: 'application/json',
    host: '127.0.0.1:8079',
    hasBody: true,
  };
  assert.equal(checkStateChange(ok, LOOPBACK), undefined);
  assert.equal(
    checkStateChange({ ...ok, contentType: 'Application/JSON; charset=utf-8' }, LOOPBACK),
    undefined,
  );
  assert.equal(checkStateChange({ ...ok, origin: 'http://localhost:5173' }, LOOPBACK), undefined);
  assert.equal(checkStateChange({ ...ok, origin: 'http://[::1]:5173' }, LOOPBACK), undefined);

  const refused = (req: Partial<typeof ok> & { origin?: string }) =>
    checkStateChange({ ...ok, ...req }, LOOPBACK);
  for (const contentType of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    undefined,
  ]) {
    const r = refused({ contentType });
    assert.equal(r?.status, 403, String(contentType));
    assert.equal(r?.code, 'ERR_CONTENT_TYPE');
  }
  assert.match(
    refused({ contentType: 'text/plain;charset=UTF-8' })!.message,
    /must be sent as JSON \(Content-Type: application\/json\), not "text\/plain"/,
  );
  for (const origin of [
    'http://attacker.example',
    'http://evil.localhost:3000',
    'null',
    'file://',
    'chrome-extension://abc',
    'http://10.0.0.1',
  ]) {
    const r = refused({ origin });
    assert.equal(r?.status, 403, origin);
    assert.equal(r?.code, 'ERR_CROSS_SITE', origin);
    assert.match(
      r.message,
      new RegExp(`Origin "${origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" is not this lab`),
    );
  }
  // The Host check comes first: a rebound name is refused whatever else it carries.
  assert.equal(
    refused({ host: 'attacker.example', origin: 'http://attacker.example' })?.status,
    421,
  );
  // A DELETE with no body is sent across sites only after a preflight: it needs no type.
  assert.equal(
    checkStateChange({ method: 'DELETE', host: 'localhost', hasBody: false }, LOOPBACK),
    undefined,
  );
  assert.equal(
    checkStateChange(
      { method: 'DELETE', host: 'localhost', hasBody: true, contentType: 'text/plain' },
      LOOPBACK,
    )?.code,
    'ERR_CONTENT_TYPE',
  );
  assert.equal(
    checkStateChange({ method: 'POST', host: 'localhost', hasBody: false }, LOOPBACK)?.code,
    'ERR_CONTENT_TYPE',
  );
});

test('a body is a non-zero Content-Length or chunks', () => {
  assert.equal(hasBody({}), false);
  assert.equal(hasBody({ 'content-length': '0' }), false);
  assert.equal(hasBody({ 'content-length': '12' }), true);
  assert.equal(hasBody({ 'transfer-encoding': 'chunked' }), true);
});

test("refusals as the lab's JSON error shape", () => {
  assert.deepEqual(refusalBody({ status: 421, code: 'ERR_UNKNOWN_HOST', message: 'm' }), {
    statusCode: 421,
    code: 'ERR_UNKNOWN_HOST',
    error: 'Misdirected Request',
    message: 'm',
  });
  assert.equal(
    refusalBody({ status: 403, code: 'ERR_CROSS_SITE', message: 'm' }).error,
    'Forbidden',
  );
});

test('binding beyond loopback is warned about, once per server; loopback is not', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
    assert.ok(isLoopbackBind(host), host);
    assert.equal(bindWarning('the API', host, [8080], 'place orders'), undefined);
  }
  assert.equal(
    bindWarning('the API', '0.0.0.0', [8080], 'place orders'),
    'the API on 0.0.0.0:8080 has no authentication: anyone who can reach this host can place orders',
  );
  assert.equal(
    bindWarning('the collector', '::', [4318, 16686], 'read every trace'),
    'the collector on :: (ports 4318, 16686) has no authentication: anyone who can reach this host can read every trace',
  );
});

test('a port clash names the flag to change; a bad address names the host flag', () => {
  const where = { host: '127.0.0.1', port: 4318, portFlag: '--otlp-port', hostFlag: '--host' };
  assert.equal(
    listenFailure(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), where),
    'cannot listen on 127.0.0.1:4318: EADDRINUSE; give another --otlp-port, or 0 for any',
  );
  assert.match(
    listenFailure({ code: 'EADDRNOTAVAIL' }, { ...where, host: '10.9.9.9' })!,
    /10\.9\.9\.9:4318: EADDRNOTAVAIL; give another --host/,
  );
  assert.equal(listenFailure(new Error('other'), where), undefined);
});
