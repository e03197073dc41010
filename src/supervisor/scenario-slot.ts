import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The scenario the lab is running (`tracelab scenario start`), held by `up` in memory so any
 * terminal, and the web UI, reads the same one: {id, startedAt, hintsShown, seed, mystery,
 * traceIds, restore}. A lab that restarts starts with none, as its faults start cleared.
 *   GET /scenario     → {scenario: … | null}
 *   PUT /scenario     {id, startedAt, hintsShown, seed, mystery, traceIds?, restore?}
 *   DELETE /scenario  → {scenario: null}
 */
export interface ScenarioSlot {
  get(): unknown;
  put(record: unknown): void;
  clear(): void;
}

export function scenarioSlot(): ScenarioSlot {
  let held: unknown = null;
  return {
    get: () => held,
    put: (record) => (held = record),
    clear: () => (held = null),
  };
}

const isInt = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with a record to hold, or undefined when it is whole. */
export function scenarioRecordProblem(body: unknown): string | undefined {
  if (!isPlainObject(body)) return 'body must be a JSON object';
  const { id, startedAt, hintsShown, seed, mystery, traceIds, restore } = body;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(id))
    return 'id must be a scenario id (lowercase letters, digits and dashes)';
  if (!isInt(startedAt, 0, Number.MAX_SAFE_INTEGER)) return 'startedAt must be epoch ms';
  if (!isInt(hintsShown, 0, 3)) return 'hintsShown must be a whole number from 0 to 3';
  if (seed !== null && !isInt(seed, 0, Number.MAX_SAFE_INTEGER))
    return 'seed must be a whole number, or null';
  if (typeof mystery !== 'boolean') return 'mystery must be true or false';
  if (
    traceIds !== undefined &&
    (!Array.isArray(traceIds) ||
      traceIds.length > 1000 ||
      !traceIds.every((t) => typeof t === 'string' && /^[0-9a-f]{1,32}$/.test(t)))
  )
    return 'traceIds must be up to 1000 trace ids (hex)';
  if (restore !== undefined && !isPlainObject(restore)) return 'restore must be an object';
  return undefined;
}

type Send = (res: ServerResponse, status: number, body: unknown) => void;
type Fail = (res: ServerResponse, status: number, code: string, message: string) => void;

/** `/scenario` on the admin endpoint (its checks of Host, Origin and JSON already passed). */
export async function serveScenario(
  req: IncomingMessage,
  res: ServerResponse,
  slot: ScenarioSlot,
  io: { send: Send; fail: Fail; readBody: (req: IncomingMessage) => Promise<string> },
): Promise<void> {
  if (req.method === 'GET') return io.send(res, 200, { scenario: slot.get() });
  if (req.method === 'DELETE') {
    slot.clear();
    return io.send(res, 200, { scenario: null });
  }
  if (req.method !== 'PUT')
    return io.fail(res, 405, 'ERR_METHOD_NOT_ALLOWED', 'GET, PUT or DELETE /scenario');
  let body: unknown;
  try {
    body = JSON.parse(await io.readBody(req));
  } catch (err) {
    return io.fail(res, 400, 'ERR_BAD_REQUEST', `body must be JSON: ${(err as Error).message}`);
  }
  const problem = scenarioRecordProblem(body);
  if (problem) return io.fail(res, 400, 'ERR_BAD_SCENARIO', problem);
  slot.put(body);
  return io.send(res, 200, { scenario: body });
}
