import { setTimeout as sleep } from 'node:timers/promises';
import { fetchJson } from '../errors/index.js';
import { apiUnreachableReason, HOUSEKEEPING_HEADERS, runLoad } from '../load/index.js';
import type { LoadPlan } from '../load/index.js';
import { SERVICES } from '../model/index.js';
import type { JaegerTrace, ServiceKind } from '../model/index.js';
import {
  NO_RUNTIME_AUTOSCALE,
  NO_RUNTIME_INTENSITIES,
  NO_RUNTIME_REPLICAS,
  NO_RUNTIME_RESILIENCE,
} from './admin-client.js';
import type { AdminClient } from './admin-client.js';
import { ScenarioError } from './errors.js';
import type { Restore, ScenarioRecord } from './record.js';
import type { Scenario, ScenarioLoad, ScenarioSetup } from './types.js';

/** Where a scenario reads its traces: the query API (the collector, or a Jaeger). */
export interface ScenarioTraceSource {
  getTrace(traceId: string): Promise<JaegerTrace | undefined>;
  /** Traces with spans of `service` between two times (µs). */
  findTraces(
    service: string,
    startUs: number,
    endUs: number,
    limit: number,
  ): Promise<JaegerTrace[]>;
}

export interface StartOptions {
  readonly admin: AdminClient;
  readonly apiUrl: string;
  readonly traces: ScenarioTraceSource;
  readonly scenario: Scenario;
  readonly seed: number | null;
  readonly mystery: boolean;
  /** How long to wait for the orders, then their traces. */
  readonly settleMs: number;
  readonly progress: (text: string) => void;
  /** The orders to send instead of the setup's (a bench scales and seeds them). */
  readonly load?: ScenarioLoad;
  /** The orders' item name (default `scenario-<id>`). */
  readonly item?: string;
}

/** The load generator's plan for a scenario's orders. */
export function loadPlan(load: ScenarioLoad): LoadPlan {
  return load.ratePerSec
    ? { mode: 'interval', count: load.orders, intervalMs: 1000 / load.ratePerSec }
    : { mode: 'burst', count: load.orders };
}

/**
 * Sets a scenario up in the running lab (a running one is switched back first), sends its
 * orders and waits until the evidence is in the traces: every order finished (completed or
 * dead-lettered) and its trace holding the scenario's service, no longer growing.
 */
export async function startScenario(o: StartOptions): Promise<ScenarioRecord> {
  const { admin, scenario, progress } = o;
  const { setup } = scenario;
  const reason = await apiUnreachableReason(o.apiUrl);
  if (reason !== undefined) {
    throw new ScenarioError(
      'SCN_ERR_UNREACHABLE',
      `cannot reach the API at ${o.apiUrl} (${reason})`,
      {
        hint: 'start the lab with tracelab up, or point --api-url at it',
      },
    );
  }
  // What the lab cannot do is found before anything is changed, the running scenario included.
  let now = await readLab(admin, setup);
  if (await admin.scenario()) {
    progress(`switching back the running scenario first`);
    const { problems } = await stopScenario(admin);
    for (const p of problems) progress(`could not switch back: ${p}`);
    now = await readLab(admin, setup);
  }
  const restore = await restoreOf(admin, setup, now);
  const record: ScenarioRecord = {
    id: scenario.id,
    startedAt: Date.now(),
    hintsShown: 0,
    seed: o.seed,
    mystery: o.mystery,
    traceIds: [],
    restore,
  };
  // Held first, so `scenario stop` can switch back what got set even if this command dies;
  // a step refused here switches back at once.
  await admin.putScenario(record);
  progress('setting the scenario up');
  try {
    await admin.setFaults(setup.faults);
    for (const [service, intensity] of Object.entries(setup.intensities)) {
      await admin.setIntensity(service, intensity ?? null);
    }
    for (const [service, n] of Object.entries(setup.replicas)) await admin.setReplicas(service, n);
    if (setup.resilience) await admin.setResilience(setup.resilience);
    if (setup.autoscale) await admin.setAutoscale(setup.autoscale);
  } catch (err) {
    await switchBack(admin, restore);
    await admin.clearScenario().catch(() => undefined);
    throw err;
  }
  // The services read the run-time switches every second: no order goes before they have.
  await sleep(SWITCH_SETTLE_MS);
  const load = o.load ?? setup.load;
  // An outage that ends: its faults switched back while the orders are still being handled.
  const outage =
    setup.faultsLastMs === undefined
      ? Promise.resolve()
      : sleep(setup.faultsLastMs)
          .then(async () => {
            progress('the faults end');
            for (const f of restore.faults) await admin.setFaults([f]);
          })
          // `stop` switches them back all the same.
          .catch((err: Error) => progress(`could not end the faults: ${err.message}`));
  const run = await runLoad({
    url: o.apiUrl,
    plan: loadPlan(load),
    order: {
      item: o.item ?? `scenario-${scenario.id}`,
      quantity: 1,
      ...(load.orderIntensity ? { intensity: load.orderIntensity } : {}),
    },
    onProgress: (p) => progress(`sending orders: ${p.sent}/${p.planned}`),
  });
  const accepted = run.outcomes.filter((r) => r.orderId && r.traceId);
  if (accepted.length < run.outcomes.length) {
    const refused = run.outcomes.find((r) => !r.orderId);
    throw new ScenarioError(
      'SCN_ERR_REFUSED',
      `${run.outcomes.length - accepted.length} of ${run.outcomes.length} orders were not accepted (${refused?.error ?? 'no answer'})`,
    );
  }
  await outage;
  const held = { ...record, traceIds: accepted.map((r) => r.traceId!) };
  await admin.putScenario(held);
  const deadline = Date.now() + o.settleMs;
  await awaitFinished(
    o.apiUrl,
    accepted.map((r) => r.orderId!),
    deadline,
    progress,
  );
  await awaitTraces(o.traces, held.traceIds, scenario.truth.service, deadline, progress);
  return held;
}

/** What the lab holds now of what the setup changes; refused before anything is changed. */
interface LabNow {
  readonly intensities: Record<string, string | null>;
  readonly replicas: Record<string, number>;
  readonly resilience: readonly string[];
  readonly autoscale: Record<string, { min: number; max: number }>;
}

async function readLab(admin: AdminClient, setup: ScenarioSetup): Promise<LabNow> {
  const replicasNeeded = Object.keys(setup.replicas).length > 0 || setup.autoscale;
  const intensities = Object.keys(setup.intensities).length ? await admin.intensities() : {};
  if (!intensities) throw new ScenarioError('SCN_ERR_UNSUPPORTED', NO_RUNTIME_INTENSITIES);
  const replicas = replicasNeeded ? await admin.replicas() : {};
  if (!replicas) throw new ScenarioError('SCN_ERR_UNSUPPORTED', NO_RUNTIME_REPLICAS);
  const resilience = setup.resilience ? await admin.resilience() : [];
  if (!resilience) throw new ScenarioError('SCN_ERR_UNSUPPORTED', NO_RUNTIME_RESILIENCE);
  const autoscale = setup.autoscale ? await admin.autoscale() : {};
  if (!autoscale) throw new ScenarioError('SCN_ERR_UNSUPPORTED', NO_RUNTIME_AUTOSCALE);
  return { intensities, replicas, resilience, autoscale };
}

/** The values the setup replaces, as they are before it: what `stop` sets back. */
async function restoreOf(admin: AdminClient, setup: ScenarioSetup, now: LabNow): Promise<Restore> {
  const faults = await admin.faults();
  const scaled = setup.autoscale?.service;
  const replicaNames = [...Object.keys(setup.replicas), ...(scaled ? [scaled] : [])];
  return {
    faults: setup.faults.map((f) => previousFault(f, faults.runtime, faults.flags)),
    intensities: Object.fromEntries(
      Object.keys(setup.intensities).map((s) => [s, now.intensities[s] ?? null]),
    ),
    replicas: Object.fromEntries(replicaNames.map((s) => [s, now.replicas[s] ?? 1])),
    ...(setup.resilience ? { resilience: now.resilience } : {}),
    ...(scaled ? { autoscale: { service: scaled, bounds: now.autoscale[scaled] ?? null } } : {}),
  };
}

/** A fault's value before the scenario: the run-time one, else the flags', else off. */
function previousFault(spec: string, runtime: readonly string[], flags: readonly string[]): string {
  const key = spec.slice(0, spec.indexOf('='));
  const same = (f: string) => f.startsWith(`${key}=`);
  return runtime.find(same) ?? flags.find(same) ?? `${key}=off`;
}

/** How long the services take to read switched faults (they read them every second). */
const SWITCH_SETTLE_MS = 2000;

/**
 * Switches back what a scenario changed, each part on its own (one the lab refuses does not
 * keep the others set); what could not be switched back, in words.
 */
async function switchBack(admin: AdminClient, restore: Restore): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (step: () => Promise<void>) => {
    try {
      await step();
    } catch (err) {
      problems.push((err as Error).message);
    }
  };
  // The autoscaler first, so it does not move the replicas being set back.
  const scaled = restore.autoscale;
  if (scaled) {
    await attempt(() =>
      scaled.bounds
        ? admin.setAutoscale({ service: scaled.service as ServiceKind, ...scaled.bounds })
        : admin.autoscaleOff(scaled.service),
    );
  }
  if (restore.resilience) await attempt(() => admin.setResilience(restore.resilience!));
  for (const f of restore.faults) await attempt(() => admin.setFaults([f]));
  for (const [s, v] of Object.entries(restore.intensities)) {
    await attempt(() => admin.setIntensity(s, v));
  }
  for (const [s, n] of Object.entries(restore.replicas)) {
    await attempt(() => admin.setReplicas(s, n));
  }
  return problems;
}

/**
 * Switches back what the running scenario changed and clears it: the record it cleared, and
 * what could not be switched back.
 */
export async function stopScenario(
  admin: AdminClient,
): Promise<{ record: ScenarioRecord; problems: string[] }> {
  const running = await admin.scenario();
  if (!running) {
    throw new ScenarioError('SCN_ERR_NONE', 'no scenario is running', {
      hint: 'start one with tracelab scenario start <id> (tracelab scenario list)',
    });
  }
  const problems = await switchBack(admin, running.restore);
  await admin.clearScenario();
  return { record: running, problems };
}

/** Waits until each order completed or was dead-lettered. */
async function awaitFinished(
  apiUrl: string,
  orderIds: readonly string[],
  deadline: number,
  progress: (text: string) => void,
): Promise<void> {
  const pending = new Set(orderIds);
  const base = apiUrl.replace(/\/+$/, '');
  for (;;) {
    for (const id of [...pending]) {
      const res = await fetchJson(`${base}/order/${id}`, {
        headers: HOUSEKEEPING_HEADERS,
        timeoutMs: 5000,
        unreachable: (err) =>
          new ScenarioError(
            'SCN_ERR_UNREACHABLE',
            `the API at ${base} stopped answering (${err.message})`,
          ),
      });
      const status = (res.body as { status?: string } | undefined)?.status;
      if (status === 'completed' || status === 'dead_lettered') pending.delete(id);
    }
    progress(`orders finished: ${orderIds.length - pending.size}/${orderIds.length}`);
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new ScenarioError(
        'SCN_ERR_INCOMPLETE',
        `${pending.size} of ${orderIds.length} orders neither completed nor were dead-lettered in time`,
        {
          hint: 'the lab may be busy with earlier orders (tracelab lag); raise --settle, or tracelab scenario stop',
        },
      );
    }
    await sleep(500);
  }
}

/**
 * Waits until each trace holds a span of the scenario's service and the spans stop coming:
 * services export in batches, a moment after the order is done.
 */
async function awaitTraces(
  source: ScenarioTraceSource,
  traceIds: readonly string[],
  service: ServiceKind,
  deadline: number,
  progress: (text: string) => void,
): Promise<void> {
  const name = SERVICES[service].serviceName;
  let lastSpans = -1;
  for (;;) {
    const traces = await Promise.all(traceIds.map((id) => source.getTrace(id)));
    const withService = traces.filter((t) =>
      t?.spans.some((s) => t.processes[s.processID]?.serviceName === name),
    ).length;
    const spans = traces.reduce((n, t) => n + (t?.spans.length ?? 0), 0);
    progress(`traces with ${name}: ${withService}/${traceIds.length} (${spans} spans)`);
    if (withService === traceIds.length && spans === lastSpans) return;
    lastSpans = spans;
    if (Date.now() > deadline) {
      throw new ScenarioError(
        'SCN_ERR_INCOMPLETE',
        `${traceIds.length - withService} of ${traceIds.length} traces hold no span of ${name} yet`,
        { hint: 'check that the services export to this trace backend (--url)' },
      );
    }
    await sleep(1000);
  }
}

/**
 * The traces of the running scenario: its orders' own, and any other trace in its time (a
 * trace that split off one of them, when the context was lost on the way).
 */
export async function scenarioTraces(
  source: ScenarioTraceSource,
  record: ScenarioRecord,
  nowMs = Date.now(),
): Promise<JaegerTrace[]> {
  const byId = new Map<string, JaegerTrace>();
  for (const id of record.traceIds) {
    const t = await source.getTrace(id);
    if (t) byId.set(t.traceID, t);
  }
  for (const kind of Object.keys(SERVICES) as ServiceKind[]) {
    const found = await source.findTraces(
      SERVICES[kind].serviceName,
      record.startedAt * 1000,
      nowMs * 1000,
      500,
    );
    for (const t of found) if (!byId.has(t.traceID)) byId.set(t.traceID, t);
  }
  return [...byId.values()];
}
