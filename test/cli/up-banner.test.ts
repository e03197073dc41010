import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUpBanner, parseUpBanner } from '../../src/cli/up-banner.js';

const facts = {
  apiUrl: 'http://127.0.0.1:8080',
  queryUrl: 'http://127.0.0.1:16686',
  otlpUrl: 'http://127.0.0.1:4318/v1/traces',
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrivate: false,
  adminUrl: 'http://127.0.0.1:8079',
  bus: 'Redis Streams',
  database: 'PostgreSQL at postgres://postgres@127.0.0.1:5432/tracelab',
  services: ['api-service', 'processing-service ×2'],
  processes: [
    { label: 'collector', pid: 11 },
    { label: 'processing-service#1', pid: 12 },
    { label: 'processing-service#2', pid: 13 },
  ],
  faultsInForce: 'none',
};

test("up's banner reads back as the URLs and processes it was written from", () => {
  const logs = 'processing-service      | consuming orders\n';
  const banner = parseUpBanner(logs + formatUpBanner(facts));
  assert.deepEqual(banner, {
    apiUrl: facts.apiUrl,
    queryUrl: facts.queryUrl,
    otlpUrl: facts.otlpUrl,
    redisUrl: facts.redisUrl,
    adminUrl: facts.adminUrl,
    processes: facts.processes,
  });
});

test('a banner still being written reads as not there yet', () => {
  const whole = formatUpBanner(facts);
  const cut = whole.slice(0, whole.indexOf('Try:'));
  assert.equal(parseUpBanner(cut), undefined);
  assert.equal(parseUpBanner('collector | listening\n'), undefined);
});
