import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import { drawTraces } from '../helpers/draw-trace.js';

/**
 * One order: a heavy span measured on the pool, and light spans of which only some were long
 * enough to measure; the others carry `resource.cpu.measured=false` and no CPU figure.
 */
function order(n: number, light: string): string {
  return `
trace t${n}
process_order               | processing-service |   |[======]  order.id=o${n}
  intensive_prime_computation | processing-service | |[====]  workload.operation=intensive_prime_computation workload.intensity=heavy workload.type=cpu_heavy resource.cpu.avg=180 resource.cpu.max=196 resource.cpu.min=150 resource.cpu_bound=true resource.cpu.measured=true resource.cpu.threads=3 resource.memory.avg_mb=120 resource.memory.max_mb=130
  json_processing           | processing-service |   |     []  workload.operation=json_processing workload.intensity=light workload.type=cpu_heavy ${light} resource.memory.avg_mb=60 resource.memory.max_mb=64
`;
}
const MEASURED =
  'resource.cpu.avg=90 resource.cpu.max=90 resource.cpu.min=90 resource.cpu_bound=true resource.cpu.measured=true resource.cpu.threads=1';
const UNMEASURED = 'resource.cpu.measured=false';

test('spans too short to measure count in durations and memory, never in CPU', () => {
  const report = analyzeTraces(
    drawTraces(order(1, MEASURED) + order(2, UNMEASURED) + order(3, UNMEASURED)),
  );
  const json = report.resources.byOperation.find((r) => r.key === 'json_processing')!;
  assert.deepEqual(
    [json.count, json.cpuSpans, json.cpuAvg, json.cpuMax, json.cpuBoundShare, json.memoryMaxMb],
    [3, 1, 90, 90, 1, 64],
  );
  const prime = report.resources.byOperation[0]!;
  assert.deepEqual(
    [prime.key, prime.cpuSpans, prime.cpuAvg],
    ['intensive_prime_computation', 3, 180],
  );
});

test('with no light span measured, the findings compare no CPU for it and say why', () => {
  const report = analyzeTraces(drawTraces(order(1, UNMEASURED) + order(2, UNMEASURED)));
  const light = report.resources.byIntensity.find((r) => r.key === 'light')!;
  assert.deepEqual(
    [light.count, light.cpuSpans, light.cpuAvg, light.cpuBoundShare],
    [2, 0, null, null],
  );
  const resources = report.findings.find((f) => f.kind === 'resources')!;
  // Only measured operations are ranked: json_processing is neither the most nor the least.
  assert.equal(resources.figures.operation, 'intensive_prime_computation');
  assert.equal(resources.figures.lightestOperation, 'intensive_prime_computation');
  const intensity = report.findings.find((f) => f.kind === 'intensity')!;
  assert.match(
    intensity.text,
    /at 180 % CPU for heavy; the light spans were too short to measure their CPU\.$/,
  );
});
