/**
 * The causes a learner names, a fixed vocabulary, each with the words a person might use for
 * it instead: grading reads any of them as the cause.
 */
export const CAUSES = {
  cpu_bound: {
    means: "the service's own work burns CPU",
    synonyms: ['cpu', 'cpu-heavy', 'cpu_heavy', 'compute', 'compute-bound', 'cpu-intensive'],
  },
  io_bound: {
    means: "the service's own work waits on I/O (files, Redis)",
    synonyms: ['io', 'i/o', 'io-heavy', 'io_heavy', 'disk', 'i/o-bound'],
  },
  heavy_workload: {
    means: 'its workloads run at a heavy or severe intensity: each order is much more work',
    synonyms: ['heavy', 'severe', 'workload', 'intensity', 'heavy-work', 'expensive-work'],
  },
  head_of_line_blocking: {
    means:
      'orders wait in its queue behind earlier ones: it takes longer per order than they arrive',
    synonyms: ['hol', 'queueing', 'queuing', 'queue', 'backlog', 'saturated', 'bottleneck'],
  },
  under_provisioned: {
    means: 'too few replicas for the load: more instances would drain its queue',
    synonyms: ['scaling', 'scale-out', 'replicas', 'capacity', 'too-few-replicas', 'scale'],
  },
  slow_downstream: {
    means: 'a stage is slow for a reason outside its own work (an added delay, a slow dependency)',
    synonyms: ['latency', 'slow', 'slow-dependency', 'delay', 'slow-service'],
  },
  crash_loop: {
    means: 'its process dies while handling orders and is restarted; the bus delivers them again',
    synonyms: ['crash', 'crashes', 'restart', 'restarts', 'crashing', 'redelivery', 'redeliveries'],
  },
  poison_message: {
    means: 'a message fails every time it is handled, is retried, then set aside as a dead letter',
    synonyms: ['poison', 'dead-letter', 'dead_letter', 'dlq', 'failing-message', 'errors', 'error'],
  },
  memory_leak: {
    means: 'memory kept for good by each order: the memory figures climb',
    synonyms: ['leak', 'memory', 'memory-growth', 'oom'],
  },
  duplicate_delivery: {
    means: 'the same order is published more than once; the consumers must be idempotent',
    synonyms: ['duplicate', 'duplicates', 'idempotency', 'at-least-once', 'double-delivery'],
  },
  n_plus_one: {
    means:
      'one query per row where one query would read them all: many similar statements under one call',
    synonyms: ['n+1', 'n-plus-one', 'n+1-queries', 'chatty-queries', 'query-per-row'],
  },
  pool_exhausted: {
    means: 'more calls in flight than pooled database connections: they wait for a free one',
    synonyms: ['pool', 'connection-pool', 'pool-wait', 'too-few-connections', 'pool-exhaustion'],
  },
  missing_index: {
    means: "a statement's index is gone: it scans the table instead of looking up",
    synonyms: ['slow-query', 'slow_query', 'index', 'no-index', 'table-scan', 'full-scan'],
  },
  lock_contention: {
    means: 'transactions queue for the same row lock, each holding it until it commits',
    synonyms: ['lock', 'locks', 'lock-wait', 'hot-row', 'row-lock', 'contention'],
  },
  retry_storm: {
    means:
      'retries multiply the calls to a slow dependency: each order sends several, and the extra ones keep it slow',
    synonyms: ['retries', 'retry', 'retrying', 'retry-amplification', 'too-many-retries'],
  },
  dependency_down: {
    means:
      'a dependency fails every call: the circuit breaker opens and refuses calls at once until it is back',
    synonyms: ['breaker', 'circuit-breaker', 'dependency-failure', 'outage'],
  },
  timeout_too_long: {
    means:
      'calls held for a long time before they fail: the timeout is far above a normal answer, and the queue waits behind them',
    synonyms: ['timeout', 'timeouts', 'long-timeout', 'hanging-calls', 'stuck-calls'],
  },
  slow_autoscaling: {
    means:
      'the autoscaler adds replicas only after the backlog has built: the first orders of a burst wait for them',
    synonyms: ['autoscaler', 'autoscaling', 'late-scaling', 'scaling-too-late', 'slow-scale-out'],
  },
  broken_propagation: {
    means: 'a service stops passing the trace context on: the trace splits there',
    synonyms: ['propagation', 'context-lost', 'lost-context', 'split-trace', 'broken-trace'],
  },
} as const satisfies Record<
  string,
  { readonly means: string; readonly synonyms: readonly string[] }
>;

export type CauseId = keyof typeof CAUSES;
export const CAUSE_IDS = Object.keys(CAUSES) as CauseId[];

const key = (word: string) =>
  word
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');

const BY_WORD: ReadonlyMap<string, CauseId> = new Map(
  CAUSE_IDS.flatMap((id) => [id, ...CAUSES[id].synonyms].map((w) => [key(w), id] as const)),
);

/** The cause a word names (`latency` → slow_downstream); undefined for a word not in the vocabulary. */
export function causeOf(word: string): CauseId | undefined {
  return BY_WORD.get(key(word));
}
