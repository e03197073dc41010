import { after, before } from 'node:test';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { PreciseSpanTimes } from '../../src/telemetry/precise-span-times.js';

/**
 * The real SDK, as a service sets it up: async context, W3C trace context and baggage, span
 * times on the anchored monotonic clock. Registered before the file's tests, shut down after.
 */
export function registeredTracing(): {
  exporter: InMemorySpanExporter;
  spanNamed: (name: string) => ReadableSpan[];
} {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    spanProcessors: [new PreciseSpanTimes(), new SimpleSpanProcessor(exporter)],
  });
  before(() =>
    provider.register({
      propagator: new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    }),
  );
  after(() => provider.shutdown());
  return {
    exporter,
    spanNamed: (name) => exporter.getFinishedSpans().filter((s) => s.name === name),
  };
}
