import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The bare four-stage Redis Streams pipeline: the ceiling benches compare against. */
export const BARE_BUS_BENCH =
  process.env.BARE_BUS_BENCH ??
  join(__dirname, '..', '..', '..', 'shared', 'tools', 'bare-bus-bench');

/** Orders per second end to end through the bare pipeline, or undefined where it is absent. */
export function bareBusRate(orders: number): number | undefined {
  if (!existsSync(BARE_BUS_BENCH)) {
    console.error(`bare-bus-bench not found at ${BARE_BUS_BENCH} (set BARE_BUS_BENCH): no ratio`);
    return undefined;
  }
  const out = execFileSync(BARE_BUS_BENCH, [String(orders)], { encoding: 'utf8' });
  const line = out.trim().split('\n').pop() ?? '{}';
  return (JSON.parse(line) as { orders_per_s: number }).orders_per_s;
}
