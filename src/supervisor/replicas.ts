import { SERVICE_KINDS } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import type { SupervisedChild } from './child.js';
import type { ReplicaControl, Replicas } from './scale.js';

export interface ReplicaParts {
  /** What runs now: each service's replicas, replica 1 first. */
  readonly running: Map<ServiceKind, SupervisedChild[]>;
  /** Starts replica `replica` (numbered from 1) of a service; resolves once it is ready. */
  start(kind: ServiceKind, replica: number): Promise<SupervisedChild>;
  /** After a replica has stopped: no longer the lab's to stop, its pending work handed over. */
  retired(kind: ServiceKind, replica: number, child: SupervisedChild): Promise<void>;
  /** True once the lab is stopping: no replica starts then. */
  isStopping(): boolean;
}

/**
 * Replica counts changed while the lab runs. Scaling up starts the next replicas (their
 * consumers join the group); scaling down stops the last ones gracefully, as at the lab's
 * stop: no new message, the ones in hand finished and acknowledged, then what is still
 * pending is handed over. One change at a time, in the order asked.
 */
export function createReplicaControl(parts: ReplicaParts): ReplicaControl {
  let queue: Promise<unknown> = Promise.resolve();
  const current = (): Replicas => {
    const out: Partial<Record<ServiceKind, number>> = {};
    for (const kind of SERVICE_KINDS) {
      const children = parts.running.get(kind);
      if (children) out[kind] = children.length;
    }
    return out as Replicas;
  };
  const scaleNow = async (kind: ServiceKind, wanted: number): Promise<Replicas> => {
    if (parts.isStopping()) throw new Error('the lab is stopping');
    const children = parts.running.get(kind) ?? [];
    parts.running.set(kind, children);
    if (wanted > children.length) {
      const first = children.length + 1;
      const started = await Promise.all(
        Array.from({ length: wanted - children.length }, (_, i) => parts.start(kind, first + i)),
      );
      children.push(...started);
    }
    const leaving = children.splice(wanted);
    await Promise.all(
      leaving.map(async (child, i) => {
        await child.stop();
        await parts.retired(kind, wanted + i + 1, child);
      }),
    );
    return current();
  };
  return {
    current,
    scale(kind, wanted) {
      const next = queue.then(() => scaleNow(kind, wanted));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
