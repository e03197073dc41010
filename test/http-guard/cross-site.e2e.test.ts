import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import { parseFaultSetting, redisFaultState } from '../../src/faults/index.js';
import { startAdminServer } from '../../src/supervisor/admin.js';
import {
  DEFAULT_RESILIENCE,
  redisIntensityState,
  redisResilienceState,
} from '../../src/workload/index.js';
import type { AdminServer } from '../../src/supervisor/admin.js';
import { launchChromium } from '../helpers/browser.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';
import { send, spanIdOf, traceIdOf } from '../collector/otlp-fixtures.js';

/*
 * What a web page the user happens to visit can do to a running lab, in a real browser. The
 * page is served as http://evil.localhost:<port>/: Chromium resolves *.localhost to this
 * machine, so the requests reach the lab's servers, from an origin that is not the lab's.
 */

const prefix = `tltest-${randomUUID().slice(0, 8)}:`;
let redis: Redis;
let admin: AdminServer;
let collector: RunningCollector;
let attacker: Server;
let browser: Browser;
/** Scale requests that reached the lab. */
const scaled: string[] = [];

const portOf = (url: string) => Number(new URL(url).port);

/** The attacker's page: every request a page may send across sites without a preflight. */
function attackPage(adminUrl: string): string {
  const faults = `${adminUrl}/faults`;
  // The classic trick: a text/plain form whose one field spells JSON, name "=" value.
  return `<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="f" method="post" enctype="text/plain" action="${faults}" target="sink">
<input name='{"set":["processing.crash' value='1"]}'>
</form>
<script>
window.results = {};
const attempt = async (name, run) => {
  try { await run(); window.results[name] = 'sent'; }
  catch (e) { window.results[name] = 'blocked: ' + e.message; }
};
window.attack = async () => {
  await attempt('no-cors text/plain POST', () => fetch(${JSON.stringify(faults)}, {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ set: ['processing.crash=1'] }),
  }));
  await attempt('no-cors form POST', () => fetch(${JSON.stringify(faults)}, {
    method: 'POST', mode: 'no-cors', body: new URLSearchParams({ set: 'processing.crash=1' }),
  }));
  await attempt('no-cors text/plain intensity', () => fetch(${JSON.stringify(`${adminUrl}/intensities`)}, {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ service: 'processing', intensity: 'severe' }),
  }));
  await attempt('no-cors text/plain replicas', () => fetch(${JSON.stringify(`${adminUrl}/replicas`)}, {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ service: 'notification', replicas: 32 }),
  }));
  await attempt('no-cors text/plain resilience', () => fetch(${JSON.stringify(`${adminUrl}/resilience`)}, {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ set: ['retries=10', 'breaker_failures=off'] }),
  }));
  await attempt('cors DELETE', () => fetch(${JSON.stringify(faults)}, { method: 'DELETE' }));
  await attempt('cors JSON POST', () => fetch(${JSON.stringify(faults)}, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ set: ['processing.crash=1'] }),
  }));
  document.getElementById('f').submit();
};
</script></body></html>`;
}

before(async () => {
  redis = new Redis(REDIS_URL);
  const state = redisFaultState(redis, prefix);
  admin = await startAdminServer(0, {
    flags: {},
    state,
    intensities: { flags: {}, state: redisIntensityState(redis, prefix) },
    resilience: { flags: DEFAULT_RESILIENCE, state: redisResilienceState(redis, prefix) },
    replicas: () => ({
      current: () => ({
        api: 1,
        processing: 1,
        notification: 1,
        analytics: 1,
        inventory: 1,
        audit: 0,
      }),
      scale: (service, replicas) => {
        scaled.push(`${service}=${replicas}`);
        return Promise.reject(new Error('not here'));
      },
    }),
    autoscaler: () => undefined,
  });
  await state.set([parseFaultSetting('notification.latency=5ms')]);
  collector = await startCollector({ otlpPort: 0, httpPort: 0, onWarning: () => undefined });
  await send(collector.otlpUrl, [
    { traceId: traceIdOf(7), spanId: spanIdOf(1), service: 'secret-shop' },
  ]);
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(attackPage(admin.url));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => attacker?.close(() => resolve()));
  await collector?.close();
  await admin?.close();
  redis?.disconnect();
  await deleteKeys(prefix);
});

test('a page on another site cannot switch or clear the lab’s faults, intensities, call policies or replicas', async () => {
  const before = await redis.hgetall(`${prefix}faults`);
  const viewBefore = await (await fetch(`${admin.url}/faults`)).json();
  assert.ok(Object.keys(before).length > 0, 'a run-time fault to protect');
  const page = await browser.newPage();
  const attackerPort = (attacker.address() as AddressInfo).port;
  await page.goto(`http://evil.localhost:${attackerPort}/`);
  await page.evaluate('window.attack()');
  // The form's answer lands in the iframe: the admin endpoint's refusal, so it was reached.
  const sink = page.frame({ name: 'sink' })!;
  await sink.waitForURL(`${admin.url}/faults`, { timeout: 10_000 });
  const answer = JSON.parse(await sink.locator('body').innerText()) as {
    statusCode: number;
    code: string;
    message: string;
  };
  assert.equal(answer.statusCode, 403, JSON.stringify(answer));
  assert.equal(answer.code, 'ERR_CROSS_SITE');
  assert.match(answer.message, /Origin "http:\/\/evil\.localhost:\d+" is not this lab/);

  const results = await page.evaluate<Record<string, string>>('window.results');
  // Requests a browser sends only after a preflight fail in the page; the others were sent,
  // and refused by the server.
  assert.match(results['cors DELETE']!, /^blocked/);
  assert.match(results['cors JSON POST']!, /^blocked/);
  assert.equal(results['no-cors text/plain POST'], 'sent');
  assert.equal(results['no-cors form POST'], 'sent');
  assert.equal(results['no-cors text/plain intensity'], 'sent');
  assert.equal(results['no-cors text/plain replicas'], 'sent');
  assert.equal(results['no-cors text/plain resilience'], 'sent');
  assert.deepEqual(await redis.hgetall(`${prefix}intensities`), {}, 'no intensity switched');
  assert.deepEqual(await redis.hgetall(`${prefix}resilience`), {}, 'no call policy switched');
  assert.deepEqual(scaled, [], 'no replica started');

  assert.deepEqual(await redis.hgetall(`${prefix}faults`), before, 'faults unchanged in Redis');
  assert.deepEqual(await (await fetch(`${admin.url}/faults`)).json(), viewBefore);
  await page.close();
});

test('a DNS-rebound name reads no trace: the collector answers 421 to the page', async () => {
  const page = await browser.newPage();
  for (const path of ['/api/services', '/api/traces?service=secret-shop', '/']) {
    const res = await page.goto(`http://evil.localhost:${portOf(collector.queryUrl)}${path}`);
    assert.equal(res?.status(), 421, path);
    const text = await page.locator('body').innerText();
    assert.match(text, /ERR_UNKNOWN_HOST/, path);
    assert.doesNotMatch(text, /secret-shop/, path);
  }
  // The same port by the lab's own name shows the service: the refusal is the name's alone.
  const own = await page.goto(`http://localhost:${portOf(collector.queryUrl)}/api/services`);
  assert.equal(own?.status(), 200);
  assert.match(await page.locator('body').innerText(), /secret-shop/);
  await page.close();
});
