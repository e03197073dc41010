import type { JaegerTrace } from '../model/index.js';
import { jaegerTraceReader } from './jaeger-reader.js';
import { CONSUMER, PRODUCER, SpanTable } from './span-table.js';
import type { AnalysisWarning, QueueWait, WithWarnings } from './types.js';

export function withWarnings<T>(items: T[], warnings: readonly AnalysisWarning[]): WithWarnings<T> {
  return Object.assign(items, { warnings });
}

/** The producer a consumer span hangs under, walking up through any span in between; −1 if none. */
function producerOf(t: SpanTable, consumer: number): number {
  for (let p = t.parent[consumer]!; p >= 0; p = t.parent[p]!) {
    if (t.kind[p] === PRODUCER) return p;
    if (t.kind[p] === CONSUMER) return -1;
  }
  return -1;
}

/**
 * The messaging hops of the trace in a table (a PRODUCER span and the CONSUMER span under it),
 * in the order their messages were published, as slots in buffers reused from trace to trace.
 */
export class Hops {
  count = 0;
  producer = new Int32Array(16);
  consumer = new Int32Array(16);

  /** Finds the hops of t; warns of clock skew into `warnings`. */
  find(t: SpanTable, warnings: AnalysisWarning[]): number {
    let count = 0;
    for (let k = 0; k < t.n; k++) {
      const c = t.order[k]!;
      if (t.kind[c] !== CONSUMER) continue;
      const p = producerOf(t, c);
      if (p < 0) continue;
      // A consumer may start before its producer span ends: the message is readable once the
      // broker has it, while the send span ends only when the client has the broker's answer.
      // Starting before the producer span even began is impossible on one clock: that is skew.
      if (t.start[c]! < t.start[p]!) {
        warnings.push({
          code: 'clock-skew',
          traceID: t.traceID,
          spanID: t.spanID[c]!,
          message: `${t.service[c]!} ${t.operation[c]!} starts ${t.start[p]! - t.start[c]!} µs before ${t.service[p]!} ${t.operation[p]!} begins (clock skew between hosts); its queue wait is counted as 0`,
        });
      }
      if (count === this.producer.length) this.grow();
      // By publish time (the producer's end), stable: insertion, as a trace has a few hops.
      const published = t.end[p]!;
      let j = count - 1;
      while (j >= 0 && t.end[this.producer[j]!]! > published) {
        this.producer[j + 1] = this.producer[j]!;
        this.consumer[j + 1] = this.consumer[j]!;
        j--;
      }
      this.producer[j + 1] = p;
      this.consumer[j + 1] = c;
      count++;
    }
    this.count = count;
    return count;
  }

  /** The i-th hop's topic: the consumer's, else the producer's. */
  topic(t: SpanTable, i: number): string {
    return t.topic[this.consumer[i]!] ?? t.topic[this.producer[i]!] ?? '';
  }

  private grow(): void {
    const producer = new Int32Array(this.producer.length * 2);
    producer.set(this.producer);
    this.producer = producer;
    const consumer = new Int32Array(this.consumer.length * 2);
    consumer.set(this.consumer);
    this.consumer = consumer;
  }
}

/** The hops of a table as QueueWait objects. */
export function queueWaitsOf(t: SpanTable, warnings: AnalysisWarning[]): QueueWait[] {
  const hops = new Hops();
  const n = hops.find(t, warnings);
  const out: QueueWait[] = [];
  for (let i = 0; i < n; i++) {
    const p = hops.producer[i]!;
    const c = hops.consumer[i]!;
    const raw = t.start[c]! - t.end[p]!;
    out.push({
      traceID: t.traceID,
      topic: hops.topic(t, i),
      producerSpanID: t.spanID[p]!,
      consumerSpanID: t.spanID[c]!,
      fromService: t.service[p]!,
      toService: t.service[c]!,
      publishedUs: t.end[p]!,
      consumedUs: t.start[c]!,
      waitUs: raw > 0 ? raw : 0,
      clampedUs: raw < 0 ? -raw : 0,
    });
  }
  return out;
}

/**
 * Time each message waited in its queue: per messaging hop (a PRODUCER span and the CONSUMER
 * span under it), the consumer's start minus the producer's end. A negative gap is clamped to
 * 0; a consumer starting before its producer began is clock skew between hosts, and warned of.
 */
export function queueWaits(trace: JaegerTrace): WithWarnings<QueueWait> {
  const t = new SpanTable().load(jaegerTraceReader, trace);
  const warnings = [...t.warnings];
  return withWarnings(queueWaitsOf(t, warnings), warnings);
}
