import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bus, IncomingMessage, LagEntry } from '../../src/bus/types.js';
import { adapters, gate, sleep } from '../helpers/bus.js';
import { waitFor } from '../helpers/wait.js';
import type { Adapter, BusFixture } from '../helpers/bus.js';

/** One suite, every adapter: what the services may rely on whatever carries the messages. */

function contract(
  adapter: Adapter,
  name: string,
  body: (f: BusFixture, adapter: Adapter) => Promise<void>,
): void {
  test(`${adapter.system}: ${name}`, { skip: adapter.skip, timeout: 60_000 }, async () => {
    const f = await adapter.open();
    try {
      await body(f, adapter);
    } finally {
      await f.cleanup();
    }
  });
}

const totalLag = (entries: LagEntry[]) => entries.reduce((n, e) => n + e.lag, 0);
const totalPending = (entries: LagEntry[]) => entries.reduce((n, e) => n + (e.pending ?? 0), 0);

async function publishAll(bus: Bus, topic: string, values: string[], key?: (i: number) => string) {
  for (const [i, value] of values.entries()) {
    await bus.publish(topic, { value, ...(key ? { key: key(i) } : {}) });
  }
}

for (const adapter of adapters) {
  contract(adapter, 'a message arrives with its key, value and headers', async (f) => {
    const topic = f.name('orders');
    const received: IncomingMessage[] = [];
    const sub = await f.bus.consume(topic, { group: f.name('group'), consumer: 'c1' }, (m) =>
      Promise.resolve(void received.push(m)),
    );
    const before = Date.now();
    const receipt = await f.bus.publish(topic, {
      key: 'order-1',
      value: '{"item":"widget","quantity":3}',
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', x: 'é' },
    });
    await waitFor('the message', () => received.length === 1);
    await sub.stop();
    const m = received[0]!;
    assert.equal(m.topic, topic);
    assert.equal(m.messageId, receipt.messageId);
    assert.equal(m.key, 'order-1');
    assert.equal(m.value, '{"item":"widget","quantity":3}');
    assert.deepEqual(m.headers, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      x: 'é',
    });
    assert.equal(m.deliveryCount, 1);
    assert.ok(Math.abs(m.publishedAtMs - before) < 5_000, `publishedAtMs ${m.publishedAtMs}`);
    if (f.bus.system === 'kafka') {
      assert.equal(m.partition, receipt.partition);
      assert.equal(m.offset, receipt.offset);
    }
  });

  contract(adapter, 'messages with the same key arrive in the order sent', async (f) => {
    const topic = f.name('orders');
    const seen = new Map<string, number[]>();
    let count = 0;
    const sub = await f.bus.consume(topic, { group: f.name('group'), consumer: 'c1' }, (m) => {
      const list = seen.get(m.key!) ?? [];
      list.push(Number(m.value));
      seen.set(m.key!, list);
      count++;
      return Promise.resolve();
    });
    const values = Array.from({ length: 30 }, (_, i) => String(i));
    await publishAll(f.bus, topic, values, (i) => `key-${i % 3}`);
    await waitFor('30 messages', () => count === 30);
    await sub.stop();
    for (const [key, list] of seen) {
      assert.deepEqual(
        list,
        [...list].sort((a, b) => a - b),
        `${key} out of order: ${list.join(',')}`,
      );
      assert.equal(list.length, 10);
    }
  });

  contract(
    adapter,
    'a message whose handler fails is delivered again to the group',
    async (f, a) => {
      const topic = f.name('orders');
      const deliveries: IncomingMessage[] = [];
      const sub = await f.bus.consume(topic, { group: f.name('group'), consumer: 'c1' }, (m) => {
        deliveries.push(m);
        const fail = m.value === 'poison' && m.deliveryCount === 1;
        return fail ? Promise.reject(new Error('handler failed')) : Promise.resolve();
      });
      await publishAll(f.bus, topic, ['poison']);
      await waitFor('a second delivery', () => deliveries.length >= 2, a.patienceMs);
      await sub.stop();
      assert.deepEqual(
        deliveries.map((d) => [d.value, d.deliveryCount]),
        [
          ['poison', 1],
          ['poison', 2],
        ],
      );
      assert.equal(deliveries[0]!.messageId, deliveries[1]!.messageId);
    },
  );

  contract(
    adapter,
    'a message that keeps failing is delivered again, counted by the bus, across a restart',
    async (f, a) => {
      const topic = f.name('orders');
      const group = f.name('group');
      const seen: [string, number][] = [];
      const failing = (m: IncomingMessage) => {
        seen.push([m.value, m.deliveryCount]);
        return m.value === 'poison' && m.deliveryCount < 3
          ? Promise.reject(new Error('handler failed'))
          : Promise.resolve();
      };
      const first = await f.bus.consume(topic, { group, consumer: 'c1' }, failing);
      // One key: one partition on Kafka, so 'behind' waits behind the poison there too.
      await publishAll(f.bus, topic, ['poison', 'behind'], () => 'one-order');
      await waitFor('the first failure', () => seen.length >= 1, a.patienceMs);
      // The consumer goes away mid-backoff, as a crash would: the count must not restart.
      await first.stop();
      const again = await (await f.another()).consume(topic, { group, consumer: 'c1' }, failing);
      await waitFor('both handled', () => seen.some(([v]) => v === 'behind'), a.patienceMs);
      await again.stop();
      assert.deepEqual(seen, [
        ['poison', 1],
        ['poison', 2],
        ['poison', 3],
        ['behind', 1],
      ]);
    },
  );

  contract(adapter, 'two consumers in one group share the work', async (f, a) => {
    const topic = f.name('orders');
    const group = f.name('group');
    const got: Record<string, string[]> = { c1: [], c2: [] };
    const handler = (c: string) => async (m: IncomingMessage) => {
      got[c]!.push(m.value);
      await sleep(5);
    };
    const other = await f.another();
    const s1 = await f.bus.consume(topic, { group, consumer: 'c1' }, handler('c1'));
    const s2 = await other.consume(topic, { group, consumer: 'c2' }, handler('c2'));
    // A group shares work once it has settled, and a Kafka rebalance takes as long as the
    // broker needs: publish in rounds of eight keys until both members have had some, never
    // assuming how long that takes.
    const values: string[] = [];
    const deadline = Date.now() + a.patienceMs;
    while (values.length < 40 || got.c1!.length === 0 || got.c2!.length === 0) {
      if (Date.now() > deadline) break;
      const round = Array.from({ length: 8 }, (_, i) => `m${values.length + i}`);
      await publishAll(f.bus, topic, round, (i) => `order-${values.length + i}`);
      values.push(...round);
      await sleep(100);
    }
    const handled = () => got.c1!.length + got.c2!.length;
    await waitFor(`${values.length} messages`, () => handled() >= values.length, a.patienceMs);
    await sleep(200);
    await Promise.all([s1.stop(), s2.stop()]);
    const all = [...got.c1!, ...got.c2!];
    assert.ok(got.c1!.length > 0, 'c1 got none');
    assert.ok(got.c2!.length > 0, 'c2 got none');
    assert.equal(all.length, values.length, 'a message was handled twice');
    assert.deepEqual([...all].sort(), [...values].sort());
  });

  for (const concurrency of [1, 3]) {
    contract(adapter, `concurrency ${concurrency}: at most ${concurrency} in hand`, async (f) => {
      const topic = f.name('orders');
      let inFlight = 0;
      let maxInFlight = 0;
      let done = 0;
      const sub = await f.bus.consume(
        topic,
        { group: f.name('group'), consumer: 'c1', concurrency },
        async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(40);
          inFlight--;
          done++;
        },
      );
      const values = Array.from({ length: 12 }, (_, i) => `m${i}`);
      await Promise.all(values.map((v, i) => f.bus.publish(topic, { value: v, key: `k${i}` })));
      await waitFor('12 messages', () => done === 12, 20_000);
      await sub.stop();
      if (concurrency === 1) assert.equal(maxInFlight, 1);
      else assert.ok(maxInFlight > 1 && maxInFlight <= concurrency, `max in hand ${maxInFlight}`);
    });
  }

  contract(adapter, 'stop() waits for the message in hand and acknowledges it', async (f) => {
    const topic = f.name('orders');
    const group = f.name('group');
    const hold = gate();
    let started = false;
    let finished = false;
    const sub = await f.bus.consume(topic, { group, consumer: 'c1' }, async () => {
      started = true;
      await hold.promise;
      finished = true;
    });
    await f.bus.publish(topic, { value: 'slow', key: 'k' });
    await waitFor('the handler to start', () => started);
    let stopped = false;
    const stopping = sub.stop().then(() => (stopped = true));
    await sleep(300);
    assert.equal(stopped, false, 'stop() returned with a message in hand');
    hold.open();
    await stopping;
    assert.equal(finished, true);
    const lag = await f.bus.lag({ groups: [group], topics: [topic] });
    assert.ok(lag.length > 0, 'no lag entry for the group');
    assert.equal(totalLag(lag), 0);
    assert.equal(totalPending(lag), 0);
  });

  contract(adapter, 'lag grows while a consumer is held back, then returns to 0', async (f) => {
    const topic = f.name('orders');
    const group = f.name('group');
    const hold = gate();
    let handled = 0;
    const sub = await f.bus.consume(topic, { group, consumer: 'c1' }, async () => {
      await hold.promise;
      handled++;
    });
    await publishAll(f.bus, topic, ['a', 'b', 'c', 'd', 'e'], () => 'one-key');
    await sleep(300);
    const held = await f.bus.lag({ groups: [group], topics: [topic] });
    assert.ok(totalLag(held) >= 4, `lag while held: ${JSON.stringify(held)}`);
    hold.open();
    await waitFor('5 messages', () => handled >= 5);
    await waitFor('lag 0', async () => {
      const lag = await f.bus.lag({ groups: [group], topics: [topic] });
      return lag.length > 0 && totalLag(lag) === 0 && totalPending(lag) === 0;
    });
    await sub.stop();
    assert.equal(handled, 5, 'a message was handled twice');
  });
}
