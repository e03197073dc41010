import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startTestBroker } from '../../src/bus/index.js';
import { KAFKA_SKIP } from '../helpers/bus.js';
import { keysWithPrefix, REDIS_URL } from '../helpers/redis.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What a user would call a quick answer: kafkajs left to its defaults waits 30 s for a
 * request, and retries it; an answer slower than this is a hang, not a refusal.
 */
const QUICK_MS = 3000;

const noKcat =
  spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0
    ? 'kcat is not installed (apt-get install -y kcat)'
    : false;

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: { statusCode?: number; code?: string; message?: string; status?: string; reason?: string };
}

async function timed(url: string, init?: RequestInit): Promise<Answer> {
  const started = Date.now();
  // A hang is a failure of its own, not a slow answer to wait out.
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as Answer['body'];
  return {
    status: res.status,
    ms: Date.now() - started,
    retryAfter: res.headers.get('retry-after'),
    body,
  };
}

const postAnswer = (apiUrl: string, i: number) =>
  timed(`${apiUrl}/order`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: `during-${i}`, quantity: 1 }),
  });

describe('Kafka outage', { skip: KAFKA_SKIP || noKcat }, () => {
  // A broker of this test's own: stopping the shared one would fail every other Kafka test.
  test('the broker stopped: POST /order answers 503 at once saying Kafka is unreachable, nothing is counted; /health says 503', async (t) => {
    const broker = await startTestBroker();
    let sys: RunningSystem | undefined;
    const redis = new Redis(REDIS_URL);
    try {
      sys = await startSystem([
        '--bus',
        'kafka',
        '--kafka-brokers',
        broker.brokers.join(','),
        '--workload',
        'none',
      ]);
      const { apiUrl, keyPrefix } = sys;
      const accepted = await postOrder(apiUrl, { item: 'before-the-outage', quantity: 1 });
      await waitForCompleted(apiUrl, [accepted.id]);
      const healthy = await timed(`${apiUrl}/health`);
      assert.equal(healthy.status, 200, JSON.stringify(healthy.body));
      const totals = async () => (await fetch(`${apiUrl}/analytics`)).json();
      const orderKeys = async () => (await keysWithPrefix(redis, `${keyPrefix}order:`)).length;
      const before = { totals: await totals(), records: await orderKeys() };

      await broker.stop();

      const answers: Answer[] = [];
      for (let i = 0; i < 8; i++) answers.push(await postAnswer(apiUrl, i));
      // Side by side too: a burst of shoppers gets the same quick answer.
      answers.push(
        ...(await Promise.all(Array.from({ length: 8 }, (_, i) => postAnswer(apiUrl, 8 + i)))),
      );
      const health = await waitFor('/health 503', async () => {
        const h = await timed(`${apiUrl}/health`);
        return h.status === 503 ? h : undefined;
      });

      t.diagnostic(
        `503 answers in ${answers.map((a) => a.ms).join(', ')} ms; /health 503 in ${health.ms} ms: ${health.body.reason}`,
      );
      for (const a of answers) {
        assert.equal(
          a.status,
          503,
          `never a 202 nor a 500 while Kafka is down: ${JSON.stringify(a.body)}`,
        );
        assert.deepEqual(
          { statusCode: a.body.statusCode, code: a.body.code, retryAfter: a.retryAfter },
          { statusCode: 503, code: 'ERR_KAFKA_UNREACHABLE', retryAfter: '1' },
        );
        assert.match(a.body.message ?? '', /^Kafka is unreachable: the order was not accepted/);
        assert.ok(a.ms < QUICK_MS, `a 503 took ${a.ms} ms`);
      }
      assert.ok(health.ms < QUICK_MS, `/health took ${health.ms} ms`);
      assert.match(health.body.reason ?? '', /Kafka .*unreachable|cannot reach Kafka/);
      assert.deepEqual(
        { totals: await totals(), records: await orderKeys() },
        before,
        'nothing stored or counted while Kafka was down',
      );
    } catch (err) {
      const tail = (sys?.output() ?? '').split('\n').slice(-30).join('\n');
      throw new Error(`${(err as Error).message}\n--- tracelab up said (last 30 lines):\n${tail}`, {
        cause: err,
      });
    } finally {
      redis.disconnect();
      await sys?.stop();
      await broker.stop();
    }
  });
});
