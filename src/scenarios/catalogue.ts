import type { Scenario, ScenarioView } from './types.js';

/*
 * The scenarios, pure data. Each truth follows from its setup (which service got the fault,
 * the heavy intensity or too few replicas), never from the analyser, so the same cases can
 * score `tracelab analyze`.
 */

const searchOf = (service: string, look: string, tags?: string): ScenarioView => ({
  page: 'search',
  query: { service: `${service}-service`, lookback: '15m', ...(tags ? { tags } : {}) },
  look,
});
const SYSTEM = (look: string): ScenarioView => ({ page: 'system', look });
const ORDERS: ScenarioView = {
  page: 'search',
  query: { service: 'api-service', operation: 'POST /order', lookback: '15m' },
  look: "the orders: open one and read its spans from the API's to analytics'",
};

const WORK_CAUSES = ['cpu_bound', 'io_bound', 'heavy_workload', 'head_of_line_blocking'] as const;
const ALL_FAULTY = [
  'slow_downstream',
  'crash_loop',
  'poison_message',
  'memory_leak',
  'duplicate_delivery',
  'broken_propagation',
  'heavy_workload',
  'head_of_line_blocking',
  'dependency_down',
] as const;
/** Every service light: what the lesson changes is all there is to see. */
const ALL_LIGHT = {
  api: 'light',
  processing: 'light',
  notification: 'light',
  analytics: 'light',
  inventory: 'light',
} as const;
const CALL_CAUSES = [
  'retry_storm',
  'dependency_down',
  'timeout_too_long',
  'slow_downstream',
  'head_of_line_blocking',
] as const;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'ex1-basic-tracing',
    title: 'Basic tracing: follow an order',
    level: 'beginner',
    exercise: 1,
    question:
      'Five orders went through the pipeline. Open one trace and follow it from the API to analytics: which service takes the longest with each order, and what is it doing?',
    hints: [
      'Every order is one trace; each service adds its own spans to it.',
      'In a trace, compare the stage spans (create_order, process_order, notify_order, analyze_order) and the workload span under each step.',
      'Read the workload.intensity and workload.operation tags of the workload spans: one service runs a severe workload, the others light ones.',
    ],
    views: [ORDERS, searchOf('processing', 'the processing stage of each order')],
    causes: WORK_CAUSES,
    setup: {
      faults: [],
      intensities: {
        api: 'light',
        processing: 'severe',
        notification: 'light',
        analytics: 'light',
      },
      replicas: {},
      load: { orders: 5, ratePerSec: 1 },
    },
    truth: {
      service: 'processing',
      cause: 'heavy_workload',
      alsoAccepted: ['cpu_bound', 'io_bound'],
      explanation:
        "processing's intensity was fixed at severe and every other service's at light: its workload span (extreme_cpu_computation or extreme_io_operations) takes most of each trace.",
    },
  },
  {
    id: 'ex2-performance-comparison',
    title: 'Performance comparison: light against heavy',
    level: 'beginner',
    exercise: 2,
    question:
      'Eight orders went through; most services ran light workloads, one did not. Compare the workload spans: which service runs the heavy ones, and what do its duration, CPU and memory figures say against the light ones?',
    hints: [
      'Search the traces by tag: workload.intensity=heavy against workload.intensity=light.',
      'The resource.cpu.avg and resource.memory.max_mb tags on the workload spans are the measured cost.',
      'Only one service was set to heavy; it is the last stage of the pipeline.',
    ],
    views: [
      searchOf(
        'analytics',
        'its workload spans and their resource figures',
        'workload.intensity=heavy',
      ),
      ORDERS,
    ],
    causes: WORK_CAUSES,
    setup: {
      faults: [],
      intensities: { api: 'light', processing: 'light', notification: 'light', analytics: 'heavy' },
      replicas: {},
      load: { orders: 8, ratePerSec: 2 },
    },
    truth: {
      service: 'analytics',
      cause: 'heavy_workload',
      alsoAccepted: ['cpu_bound', 'io_bound'],
      explanation:
        "analytics' intensity was fixed at heavy and the others' at light: its data_analysis step runs intensive_prime_computation or intensive_io_operations, many times longer than the light ones.",
    },
  },
  {
    id: 'ex3-bottleneck',
    title: 'Bottleneck identification',
    level: 'intermediate',
    exercise: 3,
    question:
      'Ten orders arrived at once. The later ones took much longer end to end than the first. Which service creates the bottleneck, and why?',
    hints: [
      'Look at the time between services, not only inside them.',
      'The queue wait (tracelab.queue.wait_us on the consumer spans) grows order after order in front of one service.',
      'processing takes one order at a time and each takes longer than the gap to the next: head-of-line blocking.',
    ],
    views: [SYSTEM('the service map: which topic box is red, and its queue wait'), ORDERS],
    causes: WORK_CAUSES,
    setup: {
      faults: [],
      intensities: { processing: 'heavy', notification: 'light', analytics: 'light' },
      replicas: {},
      load: { orders: 10 },
    },
    truth: {
      service: 'processing',
      cause: 'head_of_line_blocking',
      alsoAccepted: ['heavy_workload', 'under_provisioned'],
      explanation:
        'ten orders arrived at once at one processing replica running heavy workloads: each waits in the `orders` queue for all the ones before it, so the wait grows with each place in the queue.',
    },
  },
  {
    id: 'ex4-resource-correlation',
    title: 'Resource correlation',
    level: 'intermediate',
    exercise: 4,
    question:
      'Find the traces with intensive_prime_computation. Which service runs them, and what is it short of while it does?',
    hints: [
      'Search for workload.operation=intensive_prime_computation.',
      'Compare resource.cpu.avg with a json_processing span: above 100 % means more than one core.',
      'processing runs the prime computation on worker threads: CPU-bound, several cores at once.',
    ],
    views: [
      searchOf(
        'processing',
        'the prime computations and their CPU figures',
        'workload.operation=intensive_prime_computation',
      ),
    ],
    causes: WORK_CAUSES,
    setup: {
      faults: [],
      intensities: { api: 'light', processing: 'heavy', notification: 'light', analytics: 'light' },
      replicas: {},
      load: { orders: 8, ratePerSec: 2 },
    },
    truth: {
      service: 'processing',
      cause: 'cpu_bound',
      alsoAccepted: ['heavy_workload'],
      explanation:
        "only processing ran at heavy, and its CPU-heavy draws run intensive_prime_computation (70 % of its work is CPU-heavy): its CPU figures go past 100 %, more than one core, while the light services' barely register.",
    },
  },
  {
    id: 'ex5-severe-workload',
    title: 'Severe workload analysis',
    level: 'intermediate',
    exercise: 5,
    question:
      'Orders arrive steadily, and a severe workload is running somewhere. Which service holds the others up, and what happens to the orders behind it?',
    hints: [
      'Sort the traces by duration: the slow ones have one stage far longer than the others.',
      "Look at workload.intensity=severe: which service's spans carry it?",
      "analytics' intensity is severe: its stage is seconds long, and the orders behind it wait in `notified-orders`.",
    ],
    views: [
      searchOf('analytics', 'the severe workloads', 'workload.intensity=severe'),
      SYSTEM('the queue wait in front of each consumer'),
    ],
    causes: WORK_CAUSES,
    setup: {
      faults: [],
      intensities: { processing: 'light', notification: 'light', analytics: 'severe' },
      replicas: {},
      load: { orders: 8, ratePerSec: 2 },
    },
    truth: {
      service: 'analytics',
      cause: 'heavy_workload',
      alsoAccepted: ['head_of_line_blocking', 'cpu_bound', 'io_bound'],
      explanation:
        "analytics' intensity was fixed at severe (extreme_cpu_computation or extreme_io_operations): each order takes it far longer than the others' light stages, and the orders behind it queue in `notified-orders`.",
    },
  },
  {
    id: 'ex6-scaling',
    title: 'System scaling design',
    level: 'advanced',
    exercise: 6,
    question:
      'A burst of orders takes far too long end to end. Where would one more replica help most, and why?',
    hints: [
      'Find where the orders wait, not only where they work.',
      "The service map shows each topic's queue wait; a consumer with one replica handles one order at a time.",
      'processing runs one replica at heavy intensity: its queue holds most of the end-to-end time; a second replica halves it.',
    ],
    views: [SYSTEM('queue waits and the bottleneck on the service map'), ORDERS],
    causes: [
      'under_provisioned',
      'head_of_line_blocking',
      'heavy_workload',
      'cpu_bound',
      'slow_autoscaling',
    ],
    setup: {
      faults: [],
      intensities: { processing: 'heavy', notification: 'light', analytics: 'light' },
      replicas: { processing: 1 },
      load: { orders: 12 },
    },
    truth: {
      service: 'processing',
      cause: 'under_provisioned',
      alsoAccepted: ['head_of_line_blocking'],
      explanation:
        'processing runs one replica at heavy intensity and twelve orders arrived at once: most of each trace is the wait in `orders`; more processing replicas take orders side by side.',
    },
  },
  {
    id: 'notification-bottleneck',
    title: 'A bottleneck that is not processing',
    level: 'intermediate',
    question:
      'A burst of orders queues up somewhere in the pipeline. Where is the bottleneck this time, and why?',
    hints: [
      'Do not assume the usual suspect: measure where the orders wait.',
      'Compare the queue wait of each topic: orders, processed-orders, notified-orders.',
      'notification runs a severe workload, so `processed-orders` backs up.',
    ],
    views: [SYSTEM('which topic box is red'), searchOf('notification', 'its stage durations')],
    causes: WORK_CAUSES,
    setup: {
      faults: [],
      intensities: { processing: 'light', notification: 'severe', analytics: 'light' },
      replicas: {},
      load: { orders: 8 },
    },
    truth: {
      service: 'notification',
      cause: 'head_of_line_blocking',
      alsoAccepted: ['heavy_workload', 'under_provisioned', 'io_bound'],
      explanation:
        "notification's intensity was fixed at severe and the others' at light: eight orders at once wait for each other in `processed-orders`.",
    },
  },
  {
    id: 'slow-downstream',
    title: 'A slow downstream',
    level: 'beginner',
    question:
      'The orders got slow end to end, though no workload changed. Which service is slow, and what kind of slowness is it?',
    hints: [
      'Look at which stage span got longer, and whether its own work (the workload span) did.',
      'A stage span much longer than the steps inside it is time spent on something other than its work: a tag on it says what.',
      'notify_order carries tracelab.fault=latency: a delay added to every order in notification, and the queue behind it grows.',
    ],
    views: [
      searchOf('notification', 'its stage spans and their tags', 'tracelab.fault=latency'),
      SYSTEM('the queue wait in processed-orders'),
    ],
    causes: [
      'slow_downstream',
      'io_bound',
      'cpu_bound',
      'head_of_line_blocking',
      'crash_loop',
      'timeout_too_long',
    ],
    setup: {
      faults: ['notification.latency=800ms'],
      intensities: {},
      replicas: {},
      load: { orders: 6, ratePerSec: 4 },
    },
    truth: {
      service: 'notification',
      cause: 'slow_downstream',
      alsoAccepted: ['head_of_line_blocking'],
      explanation:
        'notification.latency=800ms adds 800 ms to every order notification handles, outside its workload: notify_order is that much longer, and with orders every 250 ms the queue in `processed-orders` grows.',
    },
  },
  {
    id: 'crash-loop',
    title: 'A crash loop',
    level: 'intermediate',
    question:
      'Some orders took several tries to get through, and some never did. Which service keeps failing, and how?',
    hints: [
      'Look for consumer spans of the same stage appearing more than once in one trace.',
      'tracelab.delivery_count on the `process <topic>` spans counts the deliveries; an error span that ends the process leaves a gap.',
      'processing crashes (tracelab.fault=crash): the process dies, up restarts it, the bus delivers the order again.',
    ],
    views: [
      searchOf('processing', 'the failed stage spans', 'tracelab.fault=crash'),
      SYSTEM('the share of failed messages per topic'),
    ],
    causes: ALL_FAULTY,
    setup: {
      faults: ['processing.crash=0.3'],
      intensities: {},
      replicas: {},
      load: { orders: 10, ratePerSec: 2 },
    },
    truth: {
      service: 'processing',
      cause: 'crash_loop',
      explanation:
        'processing.crash=0.3 kills the processing process on about a third of the orders it handles: up restarts it and the bus delivers the order again (tracelab.delivery_count ≥ 2); one unlucky five times running is dead-lettered.',
    },
  },
  {
    id: 'poison-message',
    title: 'Poison messages and the dead letters',
    level: 'intermediate',
    question:
      'Three orders were accepted and never completed. Where did they stop, and what happened to them?',
    hints: [
      'An order that never completes still has a trace: see how far it got.',
      'Count the consumer spans of the last stage reached, and read their status and tracelab.delivery_count.',
      'notification fails every delivery: after 5 tries each order is set aside on processed-orders.dlq (tracelab.dead_letter=true; see tracelab dlq).',
    ],
    views: [
      searchOf('notification', 'the dead-lettered deliveries', 'tracelab.dead_letter=true'),
      ORDERS,
    ],
    causes: ALL_FAULTY,
    setup: {
      faults: ['notification.error=1'],
      intensities: {},
      replicas: {},
      load: { orders: 3, ratePerSec: 2 },
    },
    truth: {
      service: 'notification',
      cause: 'poison_message',
      explanation:
        'notification.error=1 fails every order notification handles: each is retried with a growing delay up to the delivery limit, then set aside on processed-orders.dlq (tracelab dlq lists them; tracelab dlq replay sends them back once fixed).',
    },
  },
  {
    id: 'memory-leak',
    title: 'A memory leak',
    level: 'intermediate',
    question: "The orders complete, but one service's process keeps growing. Which one, and why?",
    hints: [
      'Memory figures ride on the workload spans: resource.memory.max_mb.',
      'Compare the first orders with the last in each service: in which does memory only go up?',
      'notification keeps memory for good with each order: tracelab.fault=leak, tracelab.fault.leaked_mb climbs.',
    ],
    views: [searchOf('notification', 'memory on its spans, first to last', 'tracelab.fault=leak')],
    causes: ALL_FAULTY,
    setup: {
      faults: ['notification.leak=16MB'],
      intensities: {},
      replicas: {},
      load: { orders: 12, ratePerSec: 3 },
    },
    truth: {
      service: 'notification',
      cause: 'memory_leak',
      explanation:
        'notification.leak=16MB keeps 16 MB for good for every order notification handles: its memory grows order after order (tracelab.fault.leaked_mb is the total so far).',
    },
  },
  {
    id: 'duplicate-delivery',
    title: 'Duplicate delivery and idempotency',
    level: 'advanced',
    question:
      'Four orders were sent once each, yet the consumers handled many more messages than that, and each order was still counted once. Where do the extra messages come from?',
    hints: [
      'Count the `process orders` spans in one order trace.',
      'The extra messages all carry the same order id: they were published, not redelivered (tracelab.delivery_count is 1).',
      'the API publishes each order several times (tracelab.fault=duplicate on its span); the consumers are idempotent, so it is counted once.',
    ],
    views: [
      searchOf('api', 'the API spans that published copies', 'tracelab.fault=duplicate'),
      ORDERS,
    ],
    causes: ALL_FAULTY,
    setup: {
      faults: ['api.duplicate=4'],
      intensities: {},
      replicas: {},
      load: { orders: 4, ratePerSec: 2 },
    },
    truth: {
      service: 'api',
      cause: 'duplicate_delivery',
      explanation:
        'api.duplicate=4 makes the API publish every order 5 times: each consumer handles each copy, and the store counts the order once (the stages are idempotent).',
    },
  },
  {
    id: 'broken-propagation',
    title: 'Broken context propagation',
    level: 'advanced',
    question:
      'The order traces end early: they stop partway through the pipeline, yet the orders complete. Where is the trace context lost?',
    hints: [
      'Find which services appear in an order trace, and which appear only in traces of their own.',
      "The last service in the order's trace is the one that passed nothing on: the next starts a new trace for the same order.id.",
      "notification stops passing the trace context: analytics' spans land in new traces, one per order.",
    ],
    views: [
      ORDERS,
      searchOf('analytics', 'traces that start in analytics, without the API'),
      SYSTEM('the findings: split orders'),
    ],
    causes: ALL_FAULTY,
    setup: {
      faults: ['notification.propagation=drop'],
      intensities: {},
      replicas: {},
      load: { orders: 5, ratePerSec: 2 },
    },
    truth: {
      service: 'notification',
      cause: 'broken_propagation',
      explanation:
        'notification.propagation=drop makes notification publish without the trace context: analytics starts a new trace for each order, so every order is split in two after notification.',
    },
  },
  {
    id: 'database-n-plus-one',
    title: 'Many small queries',
    level: 'intermediate',
    question:
      'Reserving stock got slower, though no workload changed. Which service is slow, and what is it doing with its database?',
    hints: [
      'Open one order and look at the spans under the stock reservation.',
      'Count the database statements under one reserve_stock span: are some the same statement, again and again?',
      "inventory reads each warehouse's stock with its own query (inventory.n_plus_one): one query for all the rows would do.",
    ],
    views: [
      searchOf('inventory', 'the statements under each reserve_stock span'),
      SYSTEM('the database box: statements per minute against calls per minute'),
    ],
    causes: ['n_plus_one', 'pool_exhausted', 'missing_index', 'lock_contention', 'slow_downstream'],
    setup: {
      faults: ['inventory.n_plus_one=12'],
      intensities: {},
      replicas: {},
      load: { orders: 6, ratePerSec: 3 },
    },
    truth: {
      service: 'inventory',
      cause: 'n_plus_one',
      alsoAccepted: ['slow_downstream'],
      explanation:
        "inventory.n_plus_one=12 makes inventory read each warehouse's stock row with a query of its own: a dozen similar SELECTs under every reserve_stock span where one would do.",
    },
  },
  {
    id: 'database-missing-index',
    title: 'A slow query',
    level: 'intermediate',
    question:
      'Every reservation got slower, the same amount each time, though load is light. Which service, and why?',
    hints: [
      "Find the statement that takes most of inventory's time.",
      "Compare that statement's time with the others of the same reservation: one of them is far slower, every time.",
      "The lookup of an item's recent stock movements lost its index (inventory.slow_query): it scans the whole table.",
    ],
    views: [
      searchOf('inventory', 'the statements of each reservation, and their durations'),
      SYSTEM('findings: a slow statement'),
    ],
    causes: ['n_plus_one', 'pool_exhausted', 'missing_index', 'lock_contention', 'slow_downstream'],
    setup: {
      faults: ['inventory.slow_query=on'],
      intensities: {},
      replicas: {},
      load: { orders: 6, ratePerSec: 2 },
    },
    truth: {
      service: 'inventory',
      cause: 'missing_index',
      alsoAccepted: ['slow_downstream'],
      explanation:
        "inventory.slow_query=on drops the index on stock_movements(item_id, at): the lookup of an item's recent movements scans every row, tens of milliseconds instead of well under one.",
    },
  },
  {
    id: 'scaling-decision',
    title: 'A scaling decision',
    level: 'advanced',
    question:
      'processing was scaled to three replicas, and bursts are still slow. Which service should get more replicas next?',
    hints: [
      'Scaling one service moves the bottleneck: look again where the orders wait now.',
      'Compare the queue wait in `orders` with the one in `processed-orders`.',
      'notification runs one replica at severe intensity: its queue now holds most of the time.',
    ],
    views: [SYSTEM('queue waits per topic, and the replicas each consumer had')],
    causes: [
      'under_provisioned',
      'head_of_line_blocking',
      'heavy_workload',
      'cpu_bound',
      'io_bound',
      'slow_autoscaling',
    ],
    setup: {
      faults: [],
      intensities: { processing: 'heavy', notification: 'severe', analytics: 'light' },
      replicas: { processing: 3, notification: 1 },
      load: { orders: 9 },
    },
    truth: {
      service: 'notification',
      cause: 'under_provisioned',
      alsoAccepted: ['head_of_line_blocking'],
      explanation:
        'processing has three replicas for its heavy work, notification one for a severe one: the burst now waits in `processed-orders`; a second notification replica is the next step.',
    },
  },
  {
    id: 'retry-storm',
    title: 'A retry storm',
    level: 'advanced',
    question:
      'inventory got slow, and the orders far slower: some took many calls to reserve their stock. Which service multiplies the load on inventory, and how?',
    hints: [
      "Count the calls to inventory under one order's processing stage: each attempt is a CLIENT span of its own.",
      'Search processing for http.request.resend_count: the resends, each cut off after the same short time, while inventory went on with the attempts it was no longer waited for.',
      'six processing replicas each try a call four times (retries=3), at once (backoff_ms=0), each attempt cut off after 600 ms; inventory works on one reservation at a time (a pool of one connection, a slow lookup), so the calls queue there, are cut off, and each resend queues behind the attempts it replaced, which inventory still works on.',
    ],
    views: [
      searchOf('processing', 'the resent calls to inventory', 'http.request.resend_count=1'),
      SYSTEM('the processing → inventory call: attempts per order'),
      ORDERS,
    ],
    causes: CALL_CAUSES,
    setup: {
      faults: ['inventory.db_pool=1', 'inventory.slow_query=on'],
      intensities: ALL_LIGHT,
      replicas: { processing: 6 },
      resilience: ['timeout_ms=600', 'retries=3', 'backoff_ms=0', 'breaker_failures=off'],
      load: { orders: 12 },
    },
    truth: {
      service: 'processing',
      cause: 'retry_storm',
      explanation:
        'six processing replicas called inventory at once, each attempt cut off after 600 ms and tried four times with no backoff (retries=3, backoff_ms=0), while inventory, on one database connection with a slow lookup, answers one reservation at a time: calls queue at inventory past the limit and are cut off, and inventory still works on each attempt no one waits for any more, so the resends queue behind them and are cut off in turn. Several attempts per order (http.request.resend_count 1 to 3, many without an answer) multiply the load on the very service that is slow; a backoff, fewer retries or a breaker would let it recover.',
    },
  },
  {
    id: 'breaker-protects',
    title: 'A circuit breaker that protects',
    level: 'intermediate',
    question:
      'For a few seconds every reservation failed, yet processing stayed quick and every order completed in the end. Which service failed, and what kept processing from waiting on it?',
    hints: [
      "Look at processing's stage spans while the failures lasted: how long each took, and how it ended.",
      'Search processing for tracelab.circuit_breaker.state=open: calls refused at once, with no request sent (and the circuit_breaker.state_change events on the spans that opened and closed it).',
      "inventory failed every call (inventory.error=1) for 6 s: after 3 failures in a row processing's breaker opened and refused calls at once; the orders were delivered again and went through once inventory was back and a half-open probe succeeded.",
    ],
    views: [
      searchOf(
        'processing',
        'the calls the open breaker refused',
        'tracelab.circuit_breaker.state=open',
      ),
      SYSTEM("the processing → inventory call: the breaker's last state and attempts per order"),
      ORDERS,
    ],
    causes: [...CALL_CAUSES, 'poison_message', 'crash_loop'],
    setup: {
      faults: ['inventory.error=1'],
      faultsLastMs: 6000,
      intensities: ALL_LIGHT,
      replicas: {},
      resilience: [
        'retries=1',
        'backoff_ms=0',
        'breaker_failures=3',
        'breaker_pause_ms=2000',
        'timeout_ms=2000',
      ],
      load: { orders: 8, ratePerSec: 2 },
    },
    truth: {
      service: 'inventory',
      cause: 'dependency_down',
      explanation:
        "inventory.error=1 failed every reservation for 6 s. After 3 failed attempts in a row processing's circuit breaker opened: for 2 s at a time it refused the calls at once (tracelab.circuit_breaker.state=open on the stage span, no request sent) instead of sending each one to fail or time out; each delivery failed fast and was delivered again. Once inventory was back, a half-open probe succeeded, the breaker closed and every order completed, none lost.",
    },
  },
  {
    id: 'timeout-too-long',
    title: 'A timeout set too long',
    level: 'advanced',
    question:
      'Most reservations answer in milliseconds, yet orders queue in front of processing for seconds. Which service holds them up, and why for so long?',
    hints: [
      "Open the slowest order and find the longest span under processing's stage.",
      'Some calls to inventory got no answer: their CLIENT spans have no http.response.status_code and all last as long as one another, then a resend answers at once.',
      "A quarter of inventory's answers hang for 6 s (inventory.latency=6s, latency_share=0.25), and processing waits 5 s (timeout_ms=5000) before it gives up and retries: the one consumer is held that long while the orders behind it wait in `orders`. A limit near a normal answer would have retried at once.",
    ],
    views: [
      ORDERS,
      searchOf('inventory', 'the calls that hung', 'tracelab.fault=latency'),
      SYSTEM('the queue wait in `orders`'),
    ],
    causes: [...CALL_CAUSES, 'heavy_workload'],
    setup: {
      faults: ['inventory.latency=6s', 'inventory.latency_share=0.25'],
      intensities: ALL_LIGHT,
      replicas: {},
      resilience: ['timeout_ms=5000', 'retries=2', 'backoff_ms=0', 'breaker_failures=off'],
      load: { orders: 8, ratePerSec: 2 },
    },
    truth: {
      service: 'processing',
      cause: 'timeout_too_long',
      explanation:
        "inventory.latency=6s with latency_share=0.25 makes about a quarter of inventory's answers hang for 6 s, and processing's time limit per attempt was 5 s (timeout_ms=5000), far above a normal answer of a few milliseconds: each hung call holds processing's only consumer for 5 s before the resend answers at once, and the orders behind it wait in `orders`. A limit near what an answer takes fails the hung attempt fast and retries.",
    },
  },
  {
    id: 'autoscaler-too-late',
    title: 'An autoscaler that reacts too late',
    level: 'advanced',
    question:
      'processing is autoscaled between 1 and 3 replicas, yet a burst of orders still waited long in its queue. Which service, and why did the extra replicas not help?',
    hints: [
      'Compare the queue wait of the first orders with the last, and which replica (service.instance.id) handled each.',
      "The second processing replica took its first order seconds after the burst arrived: the System view lists the autoscaler's events, and the trace page marks them on the resource charts.",
      'The autoscaler adds a replica only once the backlog has stayed above 4 messages for 6 s, and a new process takes a moment to start: by then most of the burst had waited behind one replica.',
    ],
    views: [
      SYSTEM("the autoscaler's events and the queue wait in `orders`"),
      searchOf('processing', 'which replica handled each order, and when'),
      ORDERS,
    ],
    causes: [
      'slow_autoscaling',
      'under_provisioned',
      'head_of_line_blocking',
      'heavy_workload',
      'cpu_bound',
    ],
    setup: {
      faults: [],
      intensities: { processing: 'heavy', notification: 'light', analytics: 'light' },
      replicas: {},
      autoscale: { service: 'processing', min: 1, max: 3, lag: 4, windowMs: 6000 },
      load: { orders: 16 },
    },
    truth: {
      service: 'processing',
      cause: 'slow_autoscaling',
      alsoAccepted: ['under_provisioned', 'head_of_line_blocking'],
      explanation:
        'processing was autoscaled 1..3 with a threshold of 4 messages held for 6 s, and sixteen heavy orders arrived at once: one replica worked through the burst while the backlog had to stay high for 6 s, then the new replica needed a moment to start. Its first order came long after the burst (a new service.instance.id in the spans), when most orders had already waited; a lower threshold, a shorter window or a minimum of 2 before a known burst would have helped.',
    },
  },
];
