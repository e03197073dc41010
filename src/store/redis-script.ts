import type { Redis } from 'ioredis';

// What a script answers for an order with no record: only the API's CREATE_ORDER makes one
// (with its expiry), so a stage never writes onto a missing record, which would create one
// that never expires, for an order nobody accepted.
export const UNKNOWN_ORDER = -1;

export type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/** A Lua script as a command of this connection (ioredis sends EVALSHA, EVAL on NOSCRIPT). */
export function scriptCommand(
  redis: Redis,
  name: string,
  numberOfKeys: number,
  lua: string,
): ScriptCall {
  const commands = redis as unknown as Record<string, ScriptCall | undefined>;
  if (!commands[name]) redis.defineCommand(name, { numberOfKeys, lua });
  return (...args) => commands[name]!.call(redis, ...args);
}
