import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';

describe('the collector serves the web UI beside its API', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector({ otlpPort: 0, httpPort: 0 });
  });
  after(() => collector.close());

  test('every client-side route answers the app page, with a CSP that keeps it to its origin', async () => {
    for (const route of [
      '/',
      '/search?service=api-service',
      '/trace/0123abcd',
      '/compare?a=1&b=2',
      '/system',
      '/scenario',
    ]) {
      const res = await fetch(`${collector.queryUrl}${route}`);
      assert.equal(res.status, 200, route);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      const csp = res.headers.get('content-security-policy')!;
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /connect-src 'self'/);
      assert.match(await res.text(), /<script type="module" src="\/ui\/app.js"><\/script>/);
    }
  });

  test('the bundle is served from the package, and needs nothing from elsewhere', async () => {
    const js = await fetch(`${collector.queryUrl}/ui/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /^text\/javascript/);
    const body = await js.text();
    assert.doesNotMatch(
      body,
      /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\/[^"'\s]*\.(js|css|woff2?)/i,
    );
    const css = await fetch(`${collector.queryUrl}/ui/app.css`);
    assert.equal(css.status, 200);
    assert.match(await css.text(), /\.uplot/);
  });

  test('unknown /api paths and files stay JSON 404s; the API is untouched', async () => {
    for (const p of ['/api/nope', '/ui/nope.js', '/nope']) {
      const res = await fetch(`${collector.queryUrl}${p}`);
      assert.equal(res.status, 404, p);
      const body = (await res.json()) as { errors: Array<{ error: string }> };
      assert.equal(body.errors[0]!.error, 'NOT_FOUND');
    }
    const services = await fetch(`${collector.queryUrl}/api/services`);
    assert.deepEqual(await services.json(), {
      data: [],
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    });
  });

  test('without a built UI the collector serves the API alone', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'tracelab-noui-'));
    const bare = await startCollector({ otlpPort: 0, httpPort: 0, uiDir: empty });
    try {
      assert.equal((await fetch(`${bare.queryUrl}/search`)).status, 404);
      assert.equal((await fetch(`${bare.queryUrl}/api/services`)).status, 200);
    } finally {
      await bare.close();
      await rm(empty, { recursive: true });
    }
  });
});
