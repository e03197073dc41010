/**
 * What `tracelab up` prints once everything is ready, and the reading of it back: the
 * exercises, the benches and the tests start `up` as a child and learn its URLs from this
 * banner, so it is written and parsed in one place.
 */

/** Every port `up` opens, left to the system to choose, so a lab runs beside any other. */
export const ON_FREE_PORTS: readonly string[] = [
  '--api-port',
  '0',
  '--otlp-port',
  '0',
  '--http-port',
  '0',
  '--admin-port',
  '0',
  '--inventory-port',
  '0',
];

export interface UpBanner {
  readonly apiUrl: string;
  /** The collector's web UI and Jaeger query API. */
  readonly queryUrl: string;
  /** The collector's OTLP/HTTP traces endpoint. */
  readonly otlpUrl: string;
  readonly redisUrl: string;
  /** `up`'s admin endpoint, where `tracelab fault` switches faults. */
  readonly adminUrl: string;
  /** `label pid` of each process `up` started, as `top` shows them. */
  readonly processes: readonly { readonly label: string; readonly pid: number }[];
}

export interface UpBannerFacts extends Omit<UpBanner, 'processes'> {
  /** A process not yet given an id (it could not be spawned) shows as `?`. */
  readonly processes: readonly { readonly label: string; readonly pid: number | undefined }[];
  readonly redisPrivate: boolean;
  readonly bus: string;
  /** Which PostgreSQL inventory keeps its stock in. */
  readonly database: string;
  readonly services: readonly string[];
  readonly faultsInForce: string;
}

export function formatUpBanner(f: UpBannerFacts): string {
  return [
    '',
    'tracelab is up',
    `  API         ${f.apiUrl}  (POST /order, GET /order/:id, GET /health)`,
    `  Traces      ${f.queryUrl}  (web UI: /search, /trace/<id>, /system; Jaeger query API: /api/traces)`,
    `  OTLP/HTTP   ${f.otlpUrl}`,
    `  Redis       ${f.redisUrl}${f.redisPrivate ? '  (private redis-server: keeps nothing)' : ''}`,
    `  Bus         ${f.bus}`,
    `  Database    ${f.database}`,
    `  Services    ${f.services.join(', ')}`,
    `  Processes   ${f.processes.map((p) => `${p.label} ${p.pid ?? '?'}`).join(', ')}`,
    `  Faults      ${f.adminUrl}  (tracelab fault set processing.crash=0.05; in force: ${f.faultsInForce})`,
    '',
    `Try: curl -X POST ${f.apiUrl}/order -H 'Content-Type: application/json' -d '{"item": "test-product", "quantity": 1}'`,
    'Ctrl-C stops everything gracefully.',
    '',
  ].join('\n');
}

/** The banner in `up`'s output, once it is all there; undefined until then. */
export function parseUpBanner(output: string): UpBanner | undefined {
  const start = output.indexOf('tracelab is up\n');
  if (start < 0) return undefined;
  const text = output.slice(start);
  if (!/^Ctrl-C stops everything/m.test(text)) return undefined;
  const field = (name: string) => new RegExp(`^ {2}${name} +(\\S+)`, 'm').exec(text)?.[1];
  const processes = /^ {2}Processes +(.+)$/m.exec(text)?.[1] ?? '';
  const apiUrl = field('API');
  const queryUrl = field('Traces');
  const otlpUrl = field('OTLP/HTTP');
  const redisUrl = field('Redis');
  const adminUrl = field('Faults');
  if (!apiUrl || !queryUrl || !otlpUrl || !redisUrl || !adminUrl) return undefined;
  return {
    apiUrl,
    queryUrl,
    otlpUrl,
    redisUrl,
    adminUrl,
    processes: [...processes.matchAll(/([\w#-]+) (\d+)/g)].map((m) => ({
      label: m[1]!,
      pid: Number(m[2]),
    })),
  };
}
