import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { WorkloadError } from '../errors.js';
import { NETWORK_PAYLOAD_BYTES } from '../types.js';
import type { NetworkOperation } from '../types.js';

/** A TCP echo server on the loopback interface: every byte received is sent back. */
export interface EchoServer {
  readonly port: number;
  /** Stops listening and drops its connections. */
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // a client gone mid-write: its close follows
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A workload never keeps its process alive.
  server.unref();
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface NetworkResult {
  readonly operation: NetworkOperation;
  /** The echo server's loopback port. */
  readonly port: number;
  /** Payloads sent and echoed back. */
  readonly roundTrips: number;
  readonly payloadBytes: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** No byte moving for this long fails the operation: an echo that stalls never hangs it. */
const IDLE_TIMEOUT_MS = 10_000;

/**
 * Sends `items` payloads to the echo server over one new connection and checks every byte
 * that comes back. Light to heavy: one payload at a time, each waiting for its echo (latency
 * bound); severe: every payload written back to back as fast as the socket takes them, the
 * echo read meanwhile (throughput bound).
 */
export async function runNetworkOperation(
  operation: NetworkOperation,
  items: number,
  port: number,
): Promise<NetworkResult> {
  const payloadBytes = NETWORK_PAYLOAD_BYTES[INTENSITY_OF[operation]];
  const payload = patternPayload(payloadBytes);
  const link = await openLink(port, payload);
  try {
    if (operation === 'net_stream_flood') {
      const echoed = link.expect(items * payloadBytes);
      for (let i = 0; i < items; i++) await link.write(payload);
      await echoed;
    } else {
      for (let i = 0; i < items; i++) {
        const echoed = link.expect(payloadBytes);
        await link.write(payload);
        await echoed;
      }
    }
  } finally {
    link.close();
  }
  const bytes = items * payloadBytes;
  return {
    operation,
    port,
    roundTrips: items,
    payloadBytes,
    bytesSent: bytes,
    bytesReceived: bytes,
  };
}

const INTENSITY_OF = {
  net_small_messages: 'light',
  net_payload_transfer: 'medium',
  net_bulk_transfer: 'heavy',
  net_stream_flood: 'severe',
} as const satisfies Record<NetworkOperation, keyof typeof NETWORK_PAYLOAD_BYTES>;

/** Bytes counting up (mod 251, a prime, so a shifted echo never lines up by chance). */
function patternPayload(bytes: number): Buffer {
  const buffer = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) buffer[i] = i % 251;
  return buffer;
}

interface Link {
  /** Resolves once `bytes` more bytes have come back, each equal to what was sent. */
  expect(bytes: number): Promise<void>;
  /** Resolves when the socket can take more (its buffer drained). */
  write(data: Buffer): Promise<void>;
  close(): void;
}

async function openLink(port: number, payload: Buffer): Promise<Link> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  socket.setTimeout(IDLE_TIMEOUT_MS);
  let failure: Error | undefined;
  /** Promises waiting on the socket: all of them fail with it. */
  const waiting = new Set<(err: Error) => void>();
  let received = 0;
  let target = 0;
  let reached: (() => void) | undefined;
  let offset = 0; // position in the payload of the next byte to come back
  const fail = (err: Error): void => {
    failure ??= err;
    socket.destroy();
    for (const reject of waiting) reject(failure);
    waiting.clear();
  };
  /** A promise that settles by `settle`, or fails with the socket. */
  const wait = (settle: (resolve: () => void) => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.add(reject);
      settle(() => {
        waiting.delete(reject);
        resolve();
      });
    });
  socket.on('timeout', () =>
    fail(new WorkloadError('WL_ERR_NETWORK', `nothing moved for ${IDLE_TIMEOUT_MS} ms`)),
  );
  socket.on('error', (err) =>
    fail(new WorkloadError('WL_ERR_NETWORK', err.message, { cause: err })),
  );
  socket.on('close', () => fail(new WorkloadError('WL_ERR_NETWORK', 'the connection closed')));
  socket.on('data', (chunk: Buffer) => {
    // Compare the chunk with the payload it echoes, wrapping at the payload's end.
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, payload.length - offset);
      if (chunk.compare(payload, offset, offset + n, at, at + n) !== 0) {
        fail(new WorkloadError('WL_ERR_NETWORK', 'the echo differs from what was sent'));
        return;
      }
      at += n;
      offset = (offset + n) % payload.length;
    }
    received += chunk.length;
    if (reached && received >= target) {
      const done = reached;
      reached = undefined;
      done();
    }
  });
  await wait((resolve) => socket.once('connect', resolve));
  return {
    expect: (bytes) => {
      target += bytes;
      return wait((resolve) => {
        if (received >= target) resolve();
        else reached = resolve;
      });
    },
    write: (data) =>
      wait((resolve) => {
        if (socket.write(data)) resolve();
        else socket.once('drain', resolve);
      }),
    close: () => {
      failure ??= new WorkloadError('WL_ERR_NETWORK', 'the connection was closed');
      socket.destroy();
    },
  };
}
