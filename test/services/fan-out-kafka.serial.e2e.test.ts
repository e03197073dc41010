/*
 * The Kafka half of fan-out.e2e.test.ts, alone (a .serial file): its two consumer groups on
 * one topic rebalance on the shared in-memory test broker, which other Kafka tests running
 * beside it would see as their own groups' rebalances.
 */
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisAuditLog } from '../../src/store/index.js';
import { REDIS_URL } from '../helpers/redis.js';
import { startSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { auditedAndCounted, notifiedLag, sendOrders } from './fan-out-fixtures.js';

const brokers = process.env.KAFKA_BROKERS;

describe(
  'fan-out over Kafka: audit-service in a group of its own',
  {
    skip: brokers
      ? false
      : 'KAFKA_BROKERS is not set: start a broker with ../shared/tools/kafka-broker start',
  },
  () => {
    test('every order audited once and counted once; tracelab lag lists both groups of notified-orders', async () => {
      const sys = await startSystem(['--audit', '--bus', 'kafka', '--kafka-brokers', brokers!]);
      const redis = new Redis(REDIS_URL);
      try {
        const audit = createRedisAuditLog(redis, { keyPrefix: sys.keyPrefix });
        const sent = await sendOrders(sys, 12, 'kfan');
        await auditedAndCounted(sys, audit, sent);
        // Each group committed on its own: both read every message, both at lag 0.
        await waitFor(
          'both groups committed on notified-orders',
          async () => {
            const l = await notifiedLag(['--bus', 'kafka', '--kafka-brokers', brokers!]);
            return l.get('analytics-service') === 0 && l.get('audit-service') === 0 ? l : undefined;
          },
          30_000,
          250,
        );
      } finally {
        redis.disconnect();
        await sys.stop();
      }
    });
  },
);
