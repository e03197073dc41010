import { createServer, STATUS_CODES } from 'node:http';
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
import { checkAdminRequest } from './admin-guard.js';
import { scenarioSlot, serveScenario } from './scenario-slot.js';

/**
 * `tracelab up`'s admin endpoint, on 127.0.0.1 only: faults switched while the lab runs.
 *   GET /faults            → { flags, runtime, effective }
 *   POST /faults {"set": ["processing.crash=0.1", "notification.latency=off"]}
 *   DELETE /faults         → back to what the flags say
 *   DELETE /faults?all=1   → every fault off, the flags' too (each stored as 0)
 *   GET/PUT/DELETE /scenario → the scenario the lab runs (see scenario-slot.ts)
 */
export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export async function startAdminServer(
  port: number,
  deps: { readonly flags: FaultSet; readonly state: FaultState },
): Promise<AdminServer> {
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
  const scenario = scenarioSlot();
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      fail(res, 503, 'ERR_UNAVAILABLE', (err as Error).message),
    );
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const refused = checkAdminRequest(req);
    if (refused) return send(res.setHeader('connection', 'close'), refused.statusCode, refused);
    const url = new URL(req.url ?? '/', 'http://admin');
    if (url.pathname === '/scenario')
      return serveScenario(req, res, scenario, { send, fail, readBody });
    if (url.pathname !== '/faults')
      return fail(res, 404, 'ERR_NOT_FOUND', 'the admin endpoint serves /faults and /scenario');
    if (req.method === 'GET') return send(res, 200, await view());
    if (req.method === 'DELETE') {
      await deps.state.clear();
      if (url.searchParams.get('all') === '1') await deps.state.set(flagsOff(deps.flags));
      return send(res, 200, await view());
    }
    if (req.method !== 'POST')
      return fail(res, 405, 'ERR_METHOD_NOT_ALLOWED', 'GET, POST or DELETE /faults');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      return fail(
        res,
        400,
        'ERR_BAD_REQUEST',
        `body must be JSON {"set": ["<service>.<kind>=<value>", …]}: ${(err as Error).message}`,
      );
    }
    const set = (body as { set?: unknown })?.set;
    if (!Array.isArray(set) || set.length === 0 || !set.every((v) => typeof v === 'string')) {
      return fail(
        res,
        400,
        'ERR_BAD_REQUEST',
        'body must be {"set": ["<service>.<kind>=<value>", …]}',
      );
    }
    let settings;
    try {
      settings = set.map(parseFaultSetting);
    } catch (err) {
      if (err instanceof FaultSpecError) return fail(res, 400, 'ERR_BAD_FAULT', err.message);
      throw err;
    }
    await deps.state.set(settings);
    return send(res, 200, await view());
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

/** A 0 for each fault the flags switch on: a 0 switches a flag's fault off. */
function flagsOff(flags: FaultSet): FaultSetting[] {
  return Object.entries(flags).flatMap(([service, faults]) =>
    Object.entries(faults ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([kind]) => ({ service, kind, value: 0 }) as FaultSetting),
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** An error in the lab's one JSON shape: {statusCode, code, error, message}. */
function fail(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
  });
  res.end(`${JSON.stringify(body)}\n`);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
