import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  applyFaultSettings,
  describeFaults,
  FaultSpecError,
  parseFaultSetting,
} from '../faults/index.js';
import type { FaultSet, FaultSetting } from '../faults/index.js';
import type { FaultState } from '../faults/index.js';
import type { ForcedIntensities, IntensityState } from '../workload/index.js';
import { checkAdminRequest } from './admin-guard.js';
import { AdminRefusal, fail, readJson, send } from './admin-http.js';
import {
  intensitiesView,
  parseAutoscaleOff,
  parseAutoscaleRequest,
  parseIntensityRequest,
  parseReplicasRequest,
} from './run-controls.js';
import type { Autoscaler } from './autoscaler.js';
import type { ReplicaControl } from './scale.js';
import { scenarioRoute, scenarioSlot } from './scenario-slot.js';
import { resilienceRoute } from './resilience-route.js';
import type { ResilienceDeps } from './resilience-route.js';

/**
 * `tracelab up`'s admin endpoint, on 127.0.0.1 only: what is switched while the lab runs.
 *   GET /faults            → { flags, runtime, effective }
 *   POST /faults {"set": ["processing.crash=0.1", "notification.latency=off"]}
 *   DELETE /faults         → back to what the flags say
 *   DELETE /faults?all=1   → every fault off, the flags' too (each stored as 0)
 *   GET /intensities       → { intensities, flags, runtime }: per service, an intensity or null
 *   POST /intensities {"service": "processing", "intensity": "heavy"} (null: the flags' value)
 *   DELETE /intensities    → every service back to its flags' value
 *   GET /replicas          → { replicas }: per service, its replica count
 *   POST /replicas {"service": "notification", "replicas": 3} → once they run (or have stopped)
 *   GET /autoscale         → { settings, services, current, events }: bounds, counts, last changes
 *   POST /autoscale {"service": "processing", "min": 1, "max": 3} (optional "lag", "windowMs": its own)
 *   DELETE /autoscale[?service=processing] → autoscaling off (replicas stay as they are)
 *   GET/PUT/DELETE /scenario → the scenario the lab runs (see scenario-slot.ts)
 *   GET/POST/DELETE /resilience → processing's call policies (see resilience-route.ts)
 */
export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface AdminDeps {
  readonly flags: FaultSet;
  readonly state: FaultState;
  readonly intensities: { readonly flags: ForcedIntensities; readonly state: IntensityState };
  /** Undefined until the services run. */
  readonly replicas: () => ReplicaControl | undefined;
  /** Undefined until the services run. */
  readonly autoscaler: () => Autoscaler | undefined;
  readonly resilience: ResilienceDeps;
}

type Route = (req: IncomingMessage, url: URL) => Promise<unknown>;

export async function startAdminServer(port: number, deps: AdminDeps): Promise<AdminServer> {
  const routes: Record<string, Route> = {
    '/faults': faultRoute(deps),
    '/intensities': intensityRoute(deps.intensities),
    '/replicas': replicaRoute(deps.replicas),
    '/autoscale': autoscaleRoute(deps.autoscaler),
    '/scenario': scenarioRoute(scenarioSlot()),
    '/resilience': resilienceRoute(deps.resilience),
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      err instanceof AdminRefusal
        ? fail(res, err.statusCode, err.code, err.message)
        : fail(res, 503, 'ERR_UNAVAILABLE', (err as Error).message),
    );
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const refused = checkAdminRequest(req);
    if (refused) return send(res.setHeader('connection', 'close'), refused.statusCode, refused);
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = routes[url.pathname];
    if (!route) {
      return fail(
        res,
        404,
        'ERR_NOT_FOUND',
        `the admin endpoint serves ${Object.keys(routes).join(', ')}`,
      );
    }
    return send(res, 200, await route(req, url));
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => closeServer(server),
  };
}

function methodNotAllowed(allowed: string): AdminRefusal {
  return new AdminRefusal(405, 'ERR_METHOD_NOT_ALLOWED', allowed);
}

function faultRoute(deps: AdminDeps): Route {
  const view = async () => {
    const runtime = await deps.state.read();
    return {
      flags: describeFaults(deps.flags),
      runtime: runtime.map((s) =>
        s.value === 0
          ? `${s.service}.${s.kind}=off`
          : describeFaults(applyFaultSettings({}, [s]))[0]!,
      ),
      effective: describeFaults(applyFaultSettings(deps.flags, runtime)),
    };
  };
  const expected = '{"set": ["<service>.<kind>=<value>", …]}';
  return async (req, url) => {
    if (req.method === 'GET') return view();
    if (req.method === 'DELETE') {
      await deps.state.clear();
      if (url.searchParams.get('all') === '1') await deps.state.set(flagsOff(deps.flags));
      return view();
    }
    if (req.method !== 'POST') throw methodNotAllowed('GET, POST or DELETE /faults');
    const set = ((await readJson(req, expected)) as { set?: unknown } | null)?.set;
    if (!Array.isArray(set) || set.length === 0 || !set.every((v) => typeof v === 'string')) {
      throw new AdminRefusal(400, 'ERR_BAD_REQUEST', `body must be ${expected}`);
    }
    let settings;
    try {
      settings = set.map(parseFaultSetting);
    } catch (err) {
      if (err instanceof FaultSpecError) throw new AdminRefusal(400, 'ERR_BAD_FAULT', err.message);
      throw err;
    }
    await deps.state.set(settings);
    return view();
  };
}

function intensityRoute(deps: AdminDeps['intensities']): Route {
  const view = async () => intensitiesView(deps.flags, await deps.state.read());
  return async (req) => {
    if (req.method === 'GET') return view();
    if (req.method === 'DELETE') {
      await deps.state.clear();
      return view();
    }
    if (req.method !== 'POST') throw methodNotAllowed('GET, POST or DELETE /intensities');
    const body = await readJson(req, '{"service": "<service>", "intensity": "<intensity>"}');
    const { service, intensity } = parseIntensityRequest(body);
    await deps.state.set(service, intensity);
    return view();
  };
}

function replicaRoute(control: AdminDeps['replicas']): Route {
  const running = () => {
    const c = control();
    if (!c) throw new AdminRefusal(503, 'ERR_NOT_READY', 'the services are still starting');
    return c;
  };
  return async (req) => {
    if (req.method === 'GET') return { replicas: running().current() };
    if (req.method !== 'POST') throw methodNotAllowed('GET or POST /replicas');
    const body = await readJson(req, '{"service": "<service>", "replicas": <n>}');
    const { service, replicas } = parseReplicasRequest(body);
    return { replicas: await running().scale(service, replicas) };
  };
}

function autoscaleRoute(autoscaler: AdminDeps['autoscaler']): Route {
  const running = () => {
    const a = autoscaler();
    if (!a) throw new AdminRefusal(503, 'ERR_NOT_READY', 'the services are still starting');
    return a;
  };
  return async (req, url) => {
    if (req.method === 'GET') return running().view();
    if (req.method === 'DELETE') {
      return running().off(parseAutoscaleOff(url.searchParams.get('service')));
    }
    if (req.method !== 'POST') throw methodNotAllowed('GET, POST or DELETE /autoscale');
    const body = await readJson(req, '{"service": "<service>", "min": <n>, "max": <n>}');
    const { service, bounds, tuning } = parseAutoscaleRequest(body);
    return running().set(service, bounds, tuning);
  };
}

/** A 0 for each fault the flags switch on: a 0 switches a flag's fault off. */
function flagsOff(flags: FaultSet): FaultSetting[] {
  return Object.entries(flags).flatMap(([service, faults]) =>
    Object.entries(faults ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([kind]) => ({ service, kind, value: 0 }) as FaultSetting),
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
