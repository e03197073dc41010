import type { ResourcePoint } from './aggregate.js';

/**
 * Samples shared between the sampler thread (sole writer) and the main thread (reader),
 * without messages: the reader never depends on the writer's event loop or its own.
 * Layout: Int32 [count] then `capacity` slots of three Float64 (time ms, CPU µs, RSS bytes).
 */
const FIELDS = 3;
const HEADER_BYTES = 8;

export interface SampleRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  /** Samples written so far (the next one's index). */
  count(): number;
  write(point: ResourcePoint): void;
  /** Samples with index ≥ `fromIndex` still in the ring, oldest first. */
  readFrom(fromIndex: number): ResourcePoint[];
  /** The same, with the index of the first one returned (older ones may have been overwritten). */
  readSince(fromIndex: number): { first: number; points: ResourcePoint[] };
}

export function createSampleRing(capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + capacity * FIELDS * 8);
}

export function openSampleRing(buffer: SharedArrayBuffer): SampleRing {
  const capacity = (buffer.byteLength - HEADER_BYTES) / (FIELDS * 8);
  const header = new Int32Array(buffer, 0, 1);
  const slots = new Float64Array(buffer, HEADER_BYTES, capacity * FIELDS);
  const ring: SampleRing = {
    buffer,
    capacity,
    count: () => Atomics.load(header, 0),
    write(point) {
      const index = Atomics.load(header, 0);
      const at = (index % capacity) * FIELDS;
      slots[at] = point.timeMs;
      slots[at + 1] = point.cpuUs;
      slots[at + 2] = point.rssBytes;
      // Publishes the slot: the reader only reads indexes below the stored count.
      Atomics.store(header, 0, index + 1);
    },
    readFrom: (fromIndex) => readSince(fromIndex).points,
    readSince,
  };
  return ring;

  function readSince(fromIndex: number): { first: number; points: ResourcePoint[] } {
    const end = Atomics.load(header, 0);
    // Leave one slot of margin: the writer may be filling the oldest slot right now.
    const first = Math.max(fromIndex, end - capacity + 1, 0);
    const points: ResourcePoint[] = [];
    for (let i = first; i < end; i++) {
      const at = (i % capacity) * FIELDS;
      points.push({ timeMs: slots[at]!, cpuUs: slots[at + 1]!, rssBytes: slots[at + 2]! });
    }
    return { first, points };
  }
}
