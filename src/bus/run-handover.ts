import type { Redis } from 'ioredis';

/**
 * A consumer's name in its group: `<group>-<replica>`, stable across restarts of the replica,
 * and `-<runId>` after it when `tracelab up` runs it, so two runs never share a name.
 */
export function consumerName(group: string, replica: string | number, runId?: string): string {
  return runId ? `${group}-${replica}-${runId}` : `${group}-${replica}`;
}

/** One consumer group a run is about to start: its stream's topic and its replicas. */
export interface RunGroup {
  readonly group: string;
  readonly topic: string;
  readonly replicas: number;
}

/**
 * Moves every pending entry of a consumer to another and removes the first from the group,
 * atomically. JUSTID: the delivery count is left as it is, as when a replica restarted under
 * its own name and read its history back. ARGV[4], when given, is the idle time (ms) the
 * entries get: idle for long, the next claim pass of any consumer takes them.
 */
const HAND_OVER = `
local moved = 0
for _ = 1, 1000 do
  local rows = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 500, ARGV[2])
  if #rows == 0 then break end
  local ids = {}
  for i, row in ipairs(rows) do ids[i] = row[1] end
  moved = moved + #ids
  if ARGV[4] then
    ids[#ids + 1] = 'IDLE'
    ids[#ids + 1] = ARGV[4]
  end
  ids[#ids + 1] = 'JUSTID'
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, unpack(ids))
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return moved`;

/**
 * Before a run's consumers start: what the consumers of earlier runs left pending (cut short
 * at a stop, or a crash) goes at once to this run's consumer of the same replica (replica 1
 * when this run has fewer), which reads it first, instead of waiting out the claim timeout;
 * those consumers are removed from their groups. Consumers named otherwise (a container's
 * host name) are not a run's and are left alone. Returns the entries moved.
 */
export async function handOverPending(
  redis: Redis,
  keyPrefix: string,
  runId: string,
  groups: readonly RunGroup[],
): Promise<number> {
  let moved = 0;
  for (const { group, topic, replicas } of groups) {
    const stream = keyPrefix + topic;
    let consumers: unknown[][];
    try {
      consumers = (await redis.call('XINFO', 'CONSUMERS', stream, group)) as unknown[][];
    } catch (err) {
      // No stream or no group yet: nothing was left.
      if (/no such key|NOGROUP/i.test((err as Error).message)) continue;
      throw err;
    }
    const own = new RegExp(`^${escapeRegExp(group)}-(\\d+)(?:-([0-9a-f]{8}))?$`);
    for (const raw of consumers) {
      const name = String(raw[raw.indexOf('name') + 1]);
      const m = own.exec(name);
      if (!m || m[2] === runId) continue;
      const replica = Number(m[1]) <= replicas ? Number(m[1]) : 1;
      const to = consumerName(group, replica, runId);
      moved += Number(await redis.eval(HAND_OVER, 1, stream, group, name, to));
    }
  }
  return moved;
}

/** Idle time given to what a stopped replica left: past any claim timeout. */
const LONG_IDLE_MS = 24 * 3600 * 1000;

/**
 * A replica stopped for good (the lab scaled its service down): what it left pending (cut
 * short past its grace period, or failed and waiting to be retried) goes to a consumer still
 * running, `to`, marked idle for long, so the next claim pass of a live replica (every few
 * seconds) takes it and delivers it again, instead of it being lost with the consumer; the
 * stopped consumer leaves the group. Returns the entries moved.
 */
export async function handOverStopped(
  redis: Redis,
  keyPrefix: string,
  handover: { readonly topic: string; readonly group: string; from: string; to: string },
): Promise<number> {
  const { topic, group, from, to } = handover;
  try {
    return Number(
      await redis.eval(HAND_OVER, 1, keyPrefix + topic, group, from, to, String(LONG_IDLE_MS)),
    );
  } catch (err) {
    // No stream or no group: the replica never read anything.
    if (/no such key|NOGROUP/i.test((err as Error).message)) return 0;
    throw err;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
