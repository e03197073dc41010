import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBus } from '../../src/bus/index.js';
import { startTestBroker } from '../../src/bus/kafka-test-broker.js';

test('startTestBroker: without kcat on PATH, says how to get one', async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await assert.rejects(startTestBroker(), {
      name: 'BusError',
      message:
        'kcat is not installed: install kcat (apt-get install -y kcat) or set KAFKA_BROKERS to a real broker',
    });
  } finally {
    process.env.PATH = path;
  }
});

test(
  'startTestBroker: a broker kafkajs can use, gone after stop()',
  { timeout: 60_000 },
  async (t) => {
    let broker;
    try {
      broker = await startTestBroker();
    } catch (err) {
      if (/kcat is not installed/.test((err as Error).message) && !process.env.CI) {
        t.skip('kcat is not installed');
        return;
      }
      throw err;
    }
    try {
      assert.match(broker.brokers[0] ?? '', /^127\.0\.0\.1:\d+$/);
      const bus = await createBus({ kind: 'kafka', kafkaBrokers: broker.brokers });
      const receipt = await bus.publish('orders', { key: 'k', value: 'v' });
      assert.match(receipt.messageId, /^\d+:0$/);
      await bus.close();
    } finally {
      await broker.stop();
    }
    await assert.rejects(
      createBus({ kind: 'kafka', kafkaBrokers: broker.brokers }),
      /cannot reach Kafka/,
    );
  },
);
