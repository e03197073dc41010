import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { after, test } from 'node:test';
import { parseCommandLine } from '../../src/config/index.js';
import { createWorkload, workloadOptions, workloadSettingsFrom } from '../../src/workload/index.js';
import { runNetworkOperation, startEchoServer } from '../../src/workload/operations/network.js';
import { NETWORK_PAYLOAD_BYTES, OPERATIONS } from '../../src/workload/types.js';
import type { NetworkOperation } from '../../src/workload/types.js';
import { memoryTracing, testRedis } from '../helpers/workload-env.js';

const tracing = memoryTracing();
const env = testRedis();
after(async () => {
  await env.cleanup();
  await tracing.shutdown();
});

test('each network operation echoes its payloads over a real loopback connection', async (t) => {
  const echo = await startEchoServer();
  t.after(() => echo.close());
  for (const [intensity, operation] of Object.entries(OPERATIONS.network_heavy)) {
    const size = NETWORK_PAYLOAD_BYTES[intensity as keyof typeof NETWORK_PAYLOAD_BYTES];
    const result = await runNetworkOperation(operation as NetworkOperation, 3, echo.port);
    assert.deepEqual(result, {
      operation,
      port: echo.port,
      roundTrips: 3,
      payloadBytes: size,
      bytesSent: 3 * size,
      bytesReceived: 3 * size,
    });
  }
  // Sizes grow with the intensity.
  const sizes = Object.values(NETWORK_PAYLOAD_BYTES);
  assert.deepEqual(
    [...sizes].sort((a, b) => a - b),
    sizes,
  );
});

test('an echo that changes a byte, or a port nobody listens on, fails the operation quickly', async (t) => {
  // Echoes everything with the 1000th byte flipped.
  const sockets = new Set<Socket>();
  const liar = createServer((socket) => {
    sockets.add(socket);
    let seen = 0;
    socket.on('data', (chunk: Buffer) => {
      const copy = Buffer.from(chunk);
      if (seen <= 999 && seen + copy.length > 999) copy[999 - seen]! ^= 0xff;
      seen += copy.length;
      socket.write(copy);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
  const { port } = liar.address() as { port: number };
  t.after(() => {
    for (const s of sockets) s.destroy();
    liar.close();
  });
  await assert.rejects(runNetworkOperation('net_payload_transfer', 2, port), {
    code: 'WL_ERR_NETWORK',
    message: /the echo differs from what was sent/,
  });
  // The same liar once closed: nothing listens there any more.
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => liar.close(() => resolve()));
  await assert.rejects(runNetworkOperation('net_small_messages', 2, port), {
    code: 'WL_ERR_NETWORK',
    message: /ECONNREFUSED/,
  });
});

test('a network run is a span with what it sent, to an echo server that closes with the workload', async () => {
  tracing.exporter.reset();
  const w = createWorkload({
    service: 'api',
    settings: workloadSettingsFrom(
      parseCommandLine(workloadOptions, ['--workload-scale', '0.2', '--monitor', 'off'], {}).values,
    ),
    redis: env.redis,
    tracer: tracing.tracer,
    keyPrefix: env.prefix,
  });
  const plan = await w.run({ type: 'network_heavy', intensity: 'medium' });
  await w.run({ type: 'network_heavy', intensity: 'light' });
  const [medium, light] = tracing.exporter.getFinishedSpans();
  const port = medium!.attributes['server.port'] as number;
  assert.equal(light!.attributes['server.port'], port, 'one echo server for every run');
  assert.ok(plan && plan.items >= 4 && plan.items <= 10, `items ${plan?.items}`); // 20–50 × 0.2
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(medium!.attributes).filter(([k]) => !k.startsWith('resource.')),
    ),
    {
      'workload.type': 'network_heavy',
      'workload.intensity': 'medium',
      'workload.operation': 'net_payload_transfer',
      'workload.items': plan.items,
      'workload.net.round_trips': plan.items,
      'workload.net.payload_bytes': 65_536,
      'workload.net.bytes_sent': plan.items * 65_536,
      'workload.net.bytes_received': plan.items * 65_536,
      'server.address': '127.0.0.1',
      'server.port': port,
    },
  );
  await runNetworkOperation('net_small_messages', 1, port); // still listening
  await w.close();
  await assert.rejects(runNetworkOperation('net_small_messages', 1, port), /ECONNREFUSED/);
});

test('db_heavy without a database is refused, and never drawn', async () => {
  const w = createWorkload({
    service: 'inventory',
    settings: workloadSettingsFrom(
      parseCommandLine(
        workloadOptions,
        ['--seed', '8', '--workload-scale', '0.01', '--monitor', 'off'],
        {},
      ).values,
    ),
    redis: env.redis,
    tracer: tracing.tracer,
    keyPrefix: env.prefix,
  });
  try {
    await assert.rejects(w.run({ type: 'db_heavy' }), { code: 'WL_ERR_NO_DATABASE' });
    for (let i = 0; i < 25; i++) {
      const plan = await w.run({ intensity: 'light' });
      assert.notEqual(plan?.type, 'db_heavy');
    }
  } finally {
    await w.close();
  }
});
