import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ON_FREE_PORTS, parseUpBanner } from '../../src/cli/up-banner.js';
import { startCli, stopChild } from './cli.js';
import { deleteKeys, REDIS_URL } from './redis.js';
import { waitFor } from './wait.js';

export { ON_FREE_PORTS };

export interface OrderStatus {
  status: 'completed' | 'in_progress' | 'dead_lettered';
  traceId: string;
  item: string;
  stages: Record<
    'api' | 'processing' | 'notification' | 'analytics',
    { status: string; reason?: string }
  >;
}

/** `GET /order/:id`, as a user reads an order's progress. */
export async function getOrder(apiUrl: string, id: string): Promise<OrderStatus> {
  return (await (await fetch(`${apiUrl}/order/${id}`)).json()) as OrderStatus;
}

/** Waits until every order reads `completed`; resolves to their statuses, in order. */
export function waitForCompleted(
  apiUrl: string,
  ids: readonly string[],
  timeoutMs = 30_000,
): Promise<OrderStatus[]> {
  return waitFor(
    `${ids.length} order(s) completed`,
    async () => {
      const all = await Promise.all(ids.map((id) => getOrder(apiUrl, id)));
      return all.every((o) => o.status === 'completed') ? all : undefined;
    },
    timeoutMs,
    500,
  );
}

export interface RunningSystem {
  readonly apiUrl: string;
  readonly queryUrl: string;
  /** `up`'s admin endpoint, where `tracelab fault` switches faults. */
  readonly adminUrl: string;
  /** The collector's OTLP/HTTP traces endpoint. */
  readonly otlpUrl: string;
  readonly keyPrefix: string;
  /** Each process `up` started, by label (`collector`, `processing-service`, …). */
  pid(label: string): number;
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<number | null>;
}

/**
 * `tracelab up` as a user starts it, on free ports and a private key prefix, with the work
 * scaled down so a test takes seconds. Stop removes the prefix's keys.
 */
export async function startSystem(
  extra: readonly string[] = [],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningSystem> {
  const keyPrefix = `tltest-${randomUUID().slice(0, 8)}:`;
  const { child, output } = await startCli(
    [
      'up',
      ...ON_FREE_PORTS,
      '--key-prefix',
      keyPrefix,
      '--redis-url',
      REDIS_URL,
      '--workload-scale',
      '0.02',
      '--seed',
      '42',
      ...extra,
    ],
    /tracelab is up[\s\S]*Ctrl-C/,
    { timeoutMs: 90_000, env: { OTEL_BSP_SCHEDULE_DELAY: '200', NO_COLOR: '1', ...opts.env } },
  );
  const banner = parseUpBanner(output());
  if (!banner) throw new Error(`tracelab up printed no whole banner:\n${output()}`);
  const { apiUrl, queryUrl, adminUrl, otlpUrl } = banner;
  return {
    pid(label) {
      const p = banner.processes.find((x) => x.label === label);
      if (!p) throw new Error(`up started no ${label}: ${JSON.stringify(banner.processes)}`);
      return p.pid;
    },
    apiUrl,
    queryUrl,
    adminUrl,
    otlpUrl,
    keyPrefix,
    child,
    output,
    async stop() {
      const code = await stopChild(child, 30_000);
      await deleteKeys(keyPrefix);
      return code;
    },
  };
}

export interface Accepted {
  id: string;
  traceId: string;
  status: string;
}

export async function postOrder(apiUrl: string, body: unknown, query = ''): Promise<Accepted> {
  const res = await fetch(`${apiUrl}/order${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST /order: ${res.status} ${await res.text()}`);
  return (await res.json()) as Accepted;
}
