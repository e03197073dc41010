import type { IncomingMessage } from 'node:http';
import { AdminRefusal, readJson } from './admin-http.js';

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

/** `/scenario` on the admin endpoint (its checks of Host, Origin and JSON already passed). */
export function scenarioRoute(
  slot: ScenarioSlot,
): (req: IncomingMessage) => Promise<{ scenario: unknown }> {
  return async (req) => {
    if (req.method === 'GET') return { scenario: slot.get() };
    if (req.method === 'DELETE') {
      slot.clear();
      return { scenario: null };
    }
    if (req.method !== 'PUT')
      throw new AdminRefusal(405, 'ERR_METHOD_NOT_ALLOWED', 'GET, PUT or DELETE /scenario');
    const body = await readJson(req, '{id, startedAt, hintsShown, seed, mystery}');
    const problem = scenarioRecordProblem(body);
    if (problem) throw new AdminRefusal(400, 'ERR_BAD_SCENARIO', problem);
    slot.put(body);
    return { scenario: body };
  };
}
