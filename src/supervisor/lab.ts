import {
  busConfigFrom,
  busOptions,
  connectRedis,
  createBus,
  lazyLagReader,
  consumerName,
  handOverPending,
  handOverStopped,
} from '../bus/index.js';
import { opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import type { FaultSet } from '../faults/index.js';
import { connectDatabase, migrate } from '../database/index.js';
import { PIPELINE_ORDER, SERVICES } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import { parseIntensityList, resiliencePolicyFrom } from '../workload/index.js';
import { startChild } from './child.js';
import type { LineWriter, SupervisedChild } from './child.js';
import { watchDroppedSpans } from './dropped-spans-watch.js';
import { startFaultControl } from './fault-control.js';
import type { FaultControl } from './fault-control.js';
import { toFlags } from './flags.js';
import { takeLease } from './lease.js';
import { ensureDatabase } from './postgres.js';
import type { DatabaseHandle } from './database-handle.js';
import type { DatabaseMode } from './postgres.js';
import { ensureRedis } from './redis.js';
import type { RedisHandle } from './redis.js';
import { createReplicaControl } from './replicas.js';
import type { AutoscaleSettings } from './autoscale-decision.js';
import type { AutoscaleBoundsMap } from './autoscale-spec.js';
import { startAutoscaler } from './autoscaler.js';
import type { Autoscaler } from './autoscaler.js';
import type { ReplicaControl, Replicas } from './scale.js';
import { spawnTethered } from './tether.js';

/**
 * Node flags of every child: gc() for collectWhenIdle, which gives the heap a burst grew
 * back once the process is quiet again (see src/monitor/idle-gc.ts).
 */
const NODE_FLAGS = ['--expose-gc'];

/** Service flags `up` sets per service instead of handing the user's value to every child. */
const PER_SERVICE_FLAGS = new Set(['database-url', 'inventory-port', 'inventory-url']);

export interface LabOptions {
  /** The `tracelab` entry every child runs as `node <main> collector|service …`. */
  readonly main: string;
  /** Where the collector listens (`--collector-host`); the API's `--host` is in `values`. */
  readonly collectorHost: string;
  readonly otlpPort: number;
  readonly httpPort: number;
  readonly adminPort: number;
  readonly redisUrl: string;
  /** The Redis URL was given (flag, env or file): never start a private one in its place. */
  readonly redisUrlNamed: boolean;
  readonly keyPrefix: string;
  /** Inventory's PostgreSQL, when named (`--database-url`); else `databaseMode` says which. */
  readonly databaseUrl?: string | undefined;
  readonly databaseMode: DatabaseMode;
  readonly faults: FaultSet;
  /** `seed=<n>[,every=<duration>]`: a game day of faults switched on and off. */
  readonly faultSchedule?: string | undefined;
  readonly replicas: Replicas;
  /** `--autoscale` bounds (none: no service autoscaled until POST /autoscale) and settings. */
  readonly autoscale: { readonly bounds: AutoscaleBoundsMap; readonly settings: AutoscaleSettings };
  /** The settings handed down: the bus ones to the collector, `serviceFlags` to the services. */
  readonly values: OptionValues;
  readonly serviceFlags: readonly OptionSpec[];
  /** Every child's output, prefixed with its label. */
  readonly write: LineWriter;
  /** Why the lab stops on its own (a child that keeps dying). */
  readonly warn: (line: string) => void;
}

/** Where the lab serves, once it is up: what the banner shows. */
export interface LabUp {
  readonly apiUrl: string;
  readonly queryUrl: string;
  readonly otlpUrl: string;
  readonly redisUrl: string;
  /** True when the lab started its own redis-server (which keeps nothing). */
  readonly redisPrivate: boolean;
  readonly adminUrl: string;
  readonly bus: string;
  /** Which PostgreSQL inventory keeps its stock in, in words. */
  readonly database: string;
  /** Service names in pipeline order, `×n` when scaled. */
  readonly services: readonly string[];
  readonly processes: readonly { readonly label: string; readonly pid: number | undefined }[];
  readonly faultsInForce: string;
}

export interface Lab {
  /** Redis (or a private one), the bus, fault control, the collector, then the services. */
  start(): Promise<LabUp>;
  /** Stops front to back (also what `start` had started so far); resolves with `code`. */
  stop(code: number): Promise<number>;
  /** Resolves with the exit code once the lab has stopped, asked to or on its own. */
  readonly stopped: Promise<number>;
  /** True once stopping has begun, asked to or on its own. */
  isStopping(): boolean;
}

type Part = ServiceKind | 'collector';

/**
 * The whole system `tracelab up` runs: children restarted when they die, stopped front to
 * back. Nothing starts until `start()`; `stop()` may come at any time, even mid-start.
 */
export function createLab(options: LabOptions): Lab {
  const cleanups: Array<() => Promise<void>> = [];
  const children: Array<{ kind: Part; child: SupervisedChild }> = [];
  let stopping: Promise<number> | undefined;
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((r) => (resolveStopped = r));

  const stopAll = async (code: number): Promise<number> => {
    // No scaling while the lab stops: the replica control refuses it then anyway.
    autoscaler?.stop();
    await stopFrontToBack(children);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    return code;
  };
  const stop = (code: number): Promise<number> => {
    stopping ??= stopAll(code).then((c) => {
      resolveStopped(c);
      return c;
    });
    return stopping;
  };
  const onGiveUp = (label: string, reason: string) => {
    options.warn(`${label} ${reason}; stopping everything`);
    void stop(1);
  };
  const supervise = async (kind: Part, spec: Parameters<typeof startChild>[0]) => {
    const child = await startChild(spec, options.write, onGiveUp);
    children.push({ kind, child });
    // Started by a run-time scale while the lab began to stop: stopped with the rest.
    if (stopping) await child.stop();
    return child;
  };
  let replicaControl: ReplicaControl | undefined;
  let autoscaler: Autoscaler | undefined;

  return {
    stopped,
    stop,
    isStopping: () => stopping !== undefined,
    async start() {
      const redis = await ensureRedis(options.redisUrl, options.redisUrlNamed);
      cleanups.push(() => redis.stop());
      // Before anything touches the prefix's state: a second up on it stops here, having
      // deleted, started and bound nothing.
      const lease = await takeLease({
        redisUrl: redis.url,
        keyPrefix: options.keyPrefix,
        urls: askedUrls(options),
        log: (line) => options.write('tracelab', line, 'err'),
      });
      cleanups.push(() => lease.release());
      const childValues: OptionValues = { ...options.values, 'redis-url': redis.url };
      const bus = await startBus(options.values, childValues, cleanups);
      const faults = await startFaultControl({
        redisUrl: redis.url,
        keyPrefix: options.keyPrefix,
        flags: options.faults,
        intensityFlags: parseIntensityList(opt.list(options.values, 'intensity')),
        resilienceFlags: resiliencePolicyFrom(options.values),
        replicas: () => replicaControl,
        autoscaler: () => autoscaler,
        adminPort: options.adminPort,
        schedule: options.faultSchedule,
        log: (line) => options.write('faults', line, 'out'),
      });
      cleanups.push(() => faults.stop());
      const collector = await startCollector(options, childValues, supervise, faults.adminUrl);
      const queryUrl = collector.ready.urls.query!;
      // The status line of lost tracing: spans the services gave up exporting.
      const dropped = watchDroppedSpans(queryUrl, (line) =>
        options.write('tracelab', `dropped spans: ${line}`, 'out'),
      );
      cleanups.push(() => Promise.resolve(dropped.stop()));
      const otlpUrl = collector.ready.urls.otlp!;
      if (opt.str(options.values, 'bus') !== 'kafka') {
        await handOverEarlierRuns(redis.url, options, lease.runId);
      }
      const database = await startDatabase(options);
      cleanups.push(() => database.stop());
      const startService = serviceStarter(
        options,
        childValues,
        otlpUrl,
        supervise,
        lease.runId,
        database.url,
      );
      const running = new Map<ServiceKind, SupervisedChild[]>();
      const api = await startServices(options.replicas, startService, running);
      replicaControl = labReplicaControl({
        running,
        start: startService,
        isStopping: () => stopping !== undefined,
        children,
        handOver: (kind, replica) =>
          opt.str(options.values, 'bus') === 'kafka'
            ? Promise.resolve()
            : handOverRetired(redis.url, options, lease.runId, kind, replica),
      });
      autoscaler = startLabAutoscaler(options, childValues, replicaControl, cleanups);
      await lease.update({ api: api.ready.urls.api!, query: queryUrl, admin: faults.adminUrl });
      return describeLab(options.replicas, {
        apiUrl: api.ready.urls.api!,
        queryUrl,
        otlpUrl,
        redis,
        faults,
        bus,
        database: database.describe,
        children: children.map((c) => c.child),
      });
    },
  };
}

/**
 * No new orders first; then every consumer finishes the message in hand, all at once (what
 * one publishes while the next stops waits in the bus for the next start: an idle system
 * stops in a read's wait, not one per stage); then inventory, so processing's last calls are
 * answered; then the collector, which receives their last spans.
 */
async function stopFrontToBack(
  children: ReadonlyArray<{ kind: Part; child: SupervisedChild }>,
): Promise<void> {
  const order: Part[][] = [
    ['api'],
    ['processing', 'notification', 'analytics', 'audit'],
    ['inventory'],
    ['collector'],
  ];
  for (const stages of order) {
    await Promise.all(children.filter((c) => stages.includes(c.kind)).map((c) => c.child.stop()));
  }
}

/** Run-time replicas: a stopped replica leaves the lab's children, its pending work handed over. */
function labReplicaControl(parts: {
  running: Map<ServiceKind, SupervisedChild[]>;
  start: (kind: ServiceKind, replica: number) => Promise<SupervisedChild>;
  isStopping: () => boolean;
  children: Array<{ kind: Part; child: SupervisedChild }>;
  handOver: (kind: ServiceKind, replica: number) => Promise<void>;
}): ReplicaControl {
  return createReplicaControl({
    running: parts.running,
    start: parts.start,
    isStopping: parts.isStopping,
    retired: async (kind, replica, child) => {
      const at = parts.children.findIndex((c) => c.child === child);
      if (at >= 0) parts.children.splice(at, 1);
      await parts.handOver(kind, replica);
    },
  });
}

/** The autoscaler, reading the consumer lag of the bus the services use. */
function startLabAutoscaler(
  options: LabOptions,
  childValues: OptionValues,
  replicas: ReplicaControl,
  cleanups: Array<() => Promise<void>>,
): Autoscaler {
  const lag = lazyLagReader(busConfigFrom(childValues), createBus);
  const autoscaler = startAutoscaler({
    ...options.autoscale,
    replicas,
    readLag: () => lag.read(),
    log: (line) => options.write('autoscaler', line, 'out'),
  });
  cleanups.push(async () => {
    autoscaler.stop();
    await lag.close();
  });
  return autoscaler;
}

/** Where the lab was asked to serve: what a second up is told until the real URLs are known. */
function askedUrls(options: LabOptions) {
  return {
    api: `http://${opt.str(options.values, 'host')}:${opt.num(options.values, 'api-port')}`,
    query: `http://${options.collectorHost}:${options.httpPort}`,
    admin: `http://127.0.0.1:${options.adminPort}`,
  };
}

/**
 * What consumers of an earlier run left pending goes to this run's consumers before they
 * start: they read it first, as a replica restarted under its old name would.
 */
async function handOverEarlierRuns(
  redisUrl: string,
  options: LabOptions,
  runId: string,
): Promise<void> {
  const redis = await connectRedis(redisUrl);
  try {
    const groups = consumerKinds(options.replicas).flatMap((kind) => {
      const def = SERVICES[kind];
      return def.consumes
        ? [{ group: def.serviceName, topic: def.consumes, replicas: options.replicas[kind] }]
        : [];
    });
    const moved = await handOverPending(redis, options.keyPrefix, runId, groups);
    if (moved > 0) {
      options.write(
        'tracelab',
        `${moved} message(s) left pending by an earlier run go to this run's consumers first`,
        'out',
      );
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Inventory's PostgreSQL (the one named, a private server, or PGlite), migrated once here
 * before any replica starts: replicas then find the schema and the catalogue in place.
 */
async function startDatabase(options: LabOptions): Promise<DatabaseHandle> {
  const database = await ensureDatabase({
    ...(options.databaseUrl ? { url: options.databaseUrl } : {}),
    mode: options.databaseMode,
  });
  try {
    const db = await connectDatabase({ url: database.url, poolSize: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
  } catch (err) {
    await database.stop();
    throw err;
  }
  return database;
}

type Supervise = (kind: Part, spec: Parameters<typeof startChild>[0]) => Promise<SupervisedChild>;

/** The bus the services share; returns the banner's note on it. */
async function startBus(
  values: OptionValues,
  childValues: OptionValues,
  cleanups: Array<() => Promise<void>>,
): Promise<string> {
  if (opt.str(values, 'bus') !== 'kafka') return 'Redis Streams';
  const brokers = opt.list(values, 'kafka-brokers');
  if (brokers.length > 0) return `Kafka at ${brokers.join(',')}`;
  const { startTestBroker } = await import('../bus/index.js');
  // Tethered: the broker goes with this process, even if it is SIGKILLed.
  const broker = await startTestBroker({
    spawn: (command, args) => spawnTethered(command, args, { detached: true }),
  });
  cleanups.push(() => broker.stop());
  childValues['kafka-brokers'] = broker.brokers;
  return `Kafka test broker at ${broker.brokers.join(',')} (in memory: keeps nothing; a real Kafka is one KAFKA_BROKERS= away, or docker compose up)`;
}

function startCollector(
  options: LabOptions,
  childValues: OptionValues,
  supervise: Supervise,
  adminUrl: string,
): Promise<SupervisedChild> {
  const collectorArgs = (otlpPort: number, httpPort: number) => [
    ...NODE_FLAGS,
    options.main,
    'collector',
    '--host',
    options.collectorHost,
    // The names the API answers to, the collector answers to as well.
    ...opt.list(options.values, 'public-host').flatMap((name) => ['--public-host', name]),
    '--otlp-port',
    String(otlpPort),
    '--http-port',
    String(httpPort),
    // The bus the services use: the collector reports its consumer lag to the UI.
    ...toFlags(busOptions, childValues),
    // The running scenario is held there: the web UI's scenario panel reads and answers it.
    '--admin-url',
    adminUrl,
  ];
  return supervise('collector', {
    label: 'collector',
    command: process.execPath,
    args: collectorArgs(options.otlpPort, options.httpPort),
    // Back on the ports it first got (port 0 picks anew): the services keep exporting
    // to the first one.
    restartArgs: (first) => collectorArgs(first.ports.otlp!, first.ports.query!),
    restart: true,
    // Losing the trace backend must not stop the shop: the services count the spans
    // they cannot send, and the collector is retried until it comes back.
    keepTrying: { maxDelayMs: 15_000, what: 'the trace backend' },
  });
}

type StartService = (kind: ServiceKind, replica: number) => Promise<SupervisedChild>;

/** Consumers beside the pipeline's own: audit, a second group on notified-orders, when asked. */
function fanOutKinds(replicas: Replicas): ServiceKind[] {
  return replicas.audit > 0 ? ['audit'] : [];
}

/** The consumer services the lab runs: the pipeline's, then the fan-out ones asked for. */
function consumerKinds(replicas: Replicas): ServiceKind[] {
  return [...PIPELINE_ORDER.filter((k) => k !== 'api'), ...fanOutKinds(replicas)];
}

/** How one replica of a service starts, at the lab's start or when it is scaled up. */
function serviceStarter(
  options: LabOptions,
  childValues: OptionValues,
  otlpUrl: string,
  supervise: Supervise,
  runId: string,
  databaseUrl: string,
): StartService {
  const { replicas } = options;
  const otlpBase = otlpUrl.replace(/\/v1\/traces$/, '');
  // Decided here per service, not passed through: the database, inventory's ports, its URLs.
  const flags = toFlags(
    options.serviceFlags.filter((s) => !PER_SERVICE_FLAGS.has(s.name)),
    childValues,
  );
  const inventoryPort = opt.num(options.values, 'inventory-port');
  // Inventory's replicas by number, as they come up: a processing replica started after them
  // (at the start, or scaled up later) calls every one.
  const inventoryUrls = new Map<number, string>();
  const ownFlags = (kind: ServiceKind, replica: number) =>
    kind === 'inventory'
      ? [
          '--database-url',
          databaseUrl,
          '--inventory-port',
          // Each replica on its own port: the next ones up from the one asked for, or any.
          String(inventoryPort === 0 ? 0 : inventoryPort + replica - 1),
        ]
      : kind === 'processing'
        ? [...inventoryUrls.values()].flatMap((u) => ['--inventory-url', u])
        : [];
  return async (kind, replica) => {
    const def = SERVICES[kind];
    const label =
      replicas[kind] > 1 || replica > 1 ? `${def.serviceName}#${replica}` : def.serviceName;
    const args = [
      ...NODE_FLAGS,
      options.main,
      'service',
      kind,
      ...flags,
      ...ownFlags(kind, replica),
      '--replica',
      String(replica),
      '--run-id',
      runId,
      '--otlp-endpoint',
      otlpBase,
    ];
    const child = await supervise(kind, {
      label,
      command: process.execPath,
      args,
      // The API back on the port it first got, where users and clients were told (the
      // later flag wins).
      restartArgs: (first) =>
        first.ports.api
          ? [...args, '--api-port', String(first.ports.api)]
          : first.ports.inventory
            ? [...args, '--inventory-port', String(first.ports.inventory)]
            : args,
      restart: true,
    });
    if (kind === 'inventory') inventoryUrls.set(replica, child.ready.urls.inventory!);
    return child;
  };
}
/** Every replica of every service, noted in `running`; resolves with the API's child. */
async function startServices(
  replicas: Replicas,
  startService: StartService,
  running: Map<ServiceKind, SupervisedChild[]>,
): Promise<SupervisedChild> {
  // Inventory first, where processing reserves stock; then the consumers, downstream to
  // upstream, so the API never accepts into a void.
  running.set(
    'inventory',
    await Promise.all(
      Array.from({ length: replicas.inventory }, (_, i) => startService('inventory', i + 1)),
    ),
  );
  await Promise.all(
    consumerKinds(replicas).map(async (kind) => {
      running.set(
        kind,
        await Promise.all(
          Array.from({ length: replicas[kind] }, (_, i) => startService(kind, i + 1)),
        ),
      );
    }),
  );
  const api = await startService('api', 1);
  running.set('api', [api]);
  return api;
}

/**
 * A replica scaled away has stopped: what it left pending goes to replica 1, which runs
 * while its service does, for the next claim pass of a live replica to take.
 */
async function handOverRetired(
  redisUrl: string,
  options: LabOptions,
  runId: string,
  kind: ServiceKind,
  replica: number,
): Promise<void> {
  const def = SERVICES[kind];
  if (!def.consumes) return;
  const redis = await connectRedis(redisUrl);
  try {
    const moved = await handOverStopped(redis, options.keyPrefix, {
      topic: def.consumes,
      group: def.serviceName,
      from: consumerName(def.serviceName, replica, runId),
      to: consumerName(def.serviceName, 1, runId),
    });
    if (moved > 0) {
      options.write(
        'tracelab',
        `${moved} message(s) left pending by ${def.serviceName}#${replica} go to the replicas still running`,
        'out',
      );
    }
  } finally {
    redis.disconnect();
  }
}

function describeLab(
  replicas: Replicas,
  parts: {
    apiUrl: string;
    queryUrl: string;
    otlpUrl: string;
    redis: RedisHandle;
    faults: FaultControl;
    bus: string;
    database: string;
    children: readonly SupervisedChild[];
  },
): LabUp {
  return {
    apiUrl: parts.apiUrl,
    queryUrl: parts.queryUrl,
    otlpUrl: parts.otlpUrl,
    redisUrl: parts.redis.url,
    redisPrivate: parts.redis.private,
    adminUrl: parts.faults.adminUrl,
    bus: parts.bus,
    database: parts.database,
    services: [...PIPELINE_ORDER, 'inventory' as const, ...fanOutKinds(replicas)].map(
      (k) => `${SERVICES[k].serviceName}${replicas[k] > 1 ? ` ×${replicas[k]}` : ''}`,
    ),
    // Process ids, to match what `top` shows with the figures on the spans.
    processes: parts.children.map((c) => ({ label: c.label, pid: c.pid() })),
    faultsInForce: parts.faults.describe(),
  };
}
