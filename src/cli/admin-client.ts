import { DEFAULT_ADMIN_URL } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { fetchJson } from '../errors/index.js';
import { CliError } from './errors.js';

/** `--admin-url` and `--json`, the options of every command that talks to the admin endpoint. */
export const adminOptions: readonly OptionSpec[] = [
  {
    name: 'admin-url',
    type: 'string',
    env: 'TRACELAB_ADMIN_URL',
    default: DEFAULT_ADMIN_URL,
    description: "tracelab up's admin endpoint (its --admin-port)",
  },
  { name: 'json', type: 'boolean', default: false, description: 'print the result as JSON' },
];

/**
 * One request to `tracelab up`'s admin endpoint: its JSON answer, or a CliError saying what
 * went wrong: no lab there (exit 1, naming --admin-url), or the endpoint's own refusal (exit 2
 * for bad input, 1 otherwise).
 */
export async function callAdmin(
  base: string,
  path: string,
  init: { method: 'GET' | 'POST' | 'DELETE'; body?: unknown; timeoutMs?: number },
): Promise<unknown> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  const res = await fetchJson(url, {
    method: init.method,
    ...(init.body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) }
      : {}),
    timeoutMs: init.timeoutMs ?? 3000,
    unreachable: (err) =>
      new CliError(
        `no tracelab up answers at ${base} (${err.cause instanceof Error ? err.cause.message : err.message}): start it with tracelab up, or give --admin-url`,
        1,
      ),
  });
  const body = (res.json ? res.body : {}) as { message?: string };
  if (!res.ok) {
    throw new CliError(
      body.message ?? `the admin endpoint answered ${res.status}`,
      res.status === 400 ? 2 : 1,
    );
  }
  return res.body;
}

/** `<service>=<value>` words, split on commas too; a word without `=` is a usage error. */
export function assignments(words: readonly string[], example: string): Array<[string, string]> {
  return words
    .flatMap((w) => w.split(','))
    .filter((w) => w.trim() !== '')
    .map((w) => {
      const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(w);
      if (!m) throw new CliError(`"${w}": write <service>=<value>, e.g. ${example}`);
      return [m[1]!, m[2]!];
    });
}
