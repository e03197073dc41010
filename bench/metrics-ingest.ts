/**
 * What the collector pays to receive the resource monitor's series: four services' readings
 * every 100 ms, exported once a second with the official OTLP/HTTP protobuf exporter, as
 * `tracelab up` runs them. Measured as the collector process's CPU time (user + system, which
 * other users of the machine do not change) over the same window with and without the
 * exports, in one run.
 *
 *   npm run bench:metrics -- [seconds per phase, default 20]
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import { startResourceMetrics } from '../src/telemetry/resource-metrics.js';
import type { ReadingSource } from '../src/telemetry/resource-metrics.js';
import type { ProcessReading } from '../src/telemetry/resource-samples-transform.js';
import { cpuSeconds, rssMiB, startCollectorProcess } from './collector-process.js';

const SECONDS = Number(process.argv[2] ?? 20);
const SERVICES = ['api-service', 'processing-service', 'notification-service', 'analytics-service'];
const SAMPLE_MS = 100;
const EXPORT_MS = 1000;

/** A reading every 100 ms, as the monitor's sampler takes them: CPU and memory that move. */
function syntheticReadings(): ReadingSource & { stop(): void } {
  const readings: ProcessReading[] = [];
  let cpuUs = 0;
  const timer = setInterval(() => {
    cpuUs += 20_000 + Math.round(Math.random() * 60_000);
    readings.push({ timeMs: Date.now(), cpuUs, rssBytes: 80e6 + Math.round(Math.random() * 20e6) });
  }, SAMPLE_MS);
  return {
    samplesSince(fromIndex) {
      const first = Math.max(0, fromIndex);
      return { first, points: readings.slice(first) };
    },
    stop: () => clearInterval(timer),
  };
}

async function window(pid: number): Promise<number> {
  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  return cpuSeconds(pid) - before;
}

async function main(): Promise<void> {
  const collector = await startCollectorProcess(200_000);
  try {
    const metricsUrl = collector.otlpUrl.replace(/\/v1\/traces$/, '/v1/metrics');
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await window(collector.pid);

    const sources = SERVICES.map(() => syntheticReadings());
    const exports = SERVICES.map((service, i) =>
      startResourceMetrics({
        source: sources[i]!,
        resource: resourceFromAttributes({ 'service.name': service, 'process.pid': 10_000 + i }),
        url: metricsUrl,
        exportIntervalMs: EXPORT_MS,
      }),
    );
    await new Promise((r) => setTimeout(r, 2000));
    const busy = await window(collector.pid);
    for (const e of exports) await e.shutdown();
    for (const s of sources) s.stop();

    const res = await fetch(
      `${collector.queryUrl}/api/tracelab/metrics?service=processing-service`,
    );
    const body = (await res.json()) as { data: { points: unknown[] }[] };
    const points = body.data.reduce((n, p) => n + p.points.length, 0);

    const pct = (cpu: number) => ((cpu / SECONDS) * 100).toFixed(2);
    console.log(
      `metrics ingest: ${SERVICES.length} services, a reading every ${SAMPLE_MS} ms, exported every ${EXPORT_MS} ms (OTLP/HTTP protobuf)`,
    );
    console.log(`collector CPU, ${SECONDS} s each, same run:`);
    console.log(`  without metrics   ${idle.toFixed(3)} s   (${pct(idle)} % of one core)`);
    console.log(`  with metrics      ${busy.toFixed(3)} s   (${pct(busy)} % of one core)`);
    console.log(
      `  metrics ingest    ${(busy - idle).toFixed(3)} s   (${pct(busy - idle)} % of one core; ${(((busy - idle) * 1e6) / ((SERVICES.length * (SECONDS * 1000)) / SAMPLE_MS)).toFixed(1)} µs per point)`,
    );
    console.log(
      `  points kept for processing-service: ${points}; collector RSS ${rssMiB(collector.pid).toFixed(0)} MiB`,
    );
  } finally {
    await collector.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
