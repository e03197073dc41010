import { setTimeout as sleep } from 'node:timers/promises';
import { fetchJson } from '../errors/index.js';
import { apiUnreachableReason, HOUSEKEEPING_HEADERS, runLoad } from '../load/index.js';
import type { LoadPlan } from '../load/index.js';
import { SERVICES } from '../model/index.js';
import type { JaegerTrace, ServiceKind } from '../model/index.js';
import { NO_RUNTIME_INTENSITIES, NO_RUNTIME_REPLICAS } from './admin-client.js';
import type { AdminClient } from './admin-client.js';
import { ScenarioError } from './errors.js';
import type { Restore, ScenarioRecord } from './record.js';
import type { Scenario, ScenarioLoad } from './types.js';

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
  const intensityNames = Object.keys(setup.intensities);
  const replicaNames = Object.keys(setup.replicas);
  const read = async () => ({
    intensities: intensityNames.length ? await admin.intensities() : {},
    replicas: replicaNames.length ? await admin.replicas() : {},
  });
  let now = await read();
  if (!now.intensities) throw new ScenarioError('SCN_ERR_UNSUPPORTED', NO_RUNTIME_INTENSITIES);
  if (!now.replicas) throw new ScenarioError('SCN_ERR_UNSUPPORTED', NO_RUNTIME_REPLICAS);
  if (await admin.scenario()) {
    progress(`switching back the running scenario first`);
    const { problems } = await stopScenario(admin);
    for (const p of problems) progress(`could not switch back: ${p}`);
    now = await read();
  }
  const intensities = now.intensities ?? {};
  const replicas = now.replicas ?? {};
  const faults = await admin.faults();
  const restore: Restore = {
    faults: setup.faults.map((f) => previousFault(f, faults.runtime, faults.flags)),
    intensities: Object.fromEntries(intensityNames.map((s) => [s, intensities[s] ?? null])),
    replicas: Object.fromEntries(replicaNames.map((s) => [s, replicas[s] ?? 1])),
  };
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
  } catch (err) {
    await switchBack(admin, restore);
    await admin.clearScenario().catch(() => undefined);
    throw err;
  }
  // The services read the run-time switches every second: no order goes before they have.
  await sleep(SWITCH_SETTLE_MS);
  const load = o.load ?? setup.load;
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
