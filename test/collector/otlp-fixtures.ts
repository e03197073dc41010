import assert from 'node:assert/strict';

/** Small OTLP/JSON export requests, built the way the spec spells them. */
export interface FixtureSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  service?: string;
  /** Start, in microseconds since the epoch. */
  startUs?: number;
  durationUs?: number;
  attributes?: Record<string, string>;
  /** Spans (of any trace) this one links to. */
  links?: ReadonlyArray<{ traceId: string; spanId: string }>;
}

export const BASE_US = 1_700_000_000_000_000;

export function otlpJson(spans: readonly FixtureSpan[]): string {
  const byService = new Map<string, FixtureSpan[]>();
  for (const s of spans) {
    const service = s.service ?? 'svc';
    byService.set(service, [...(byService.get(service) ?? []), s]);
  }
  return JSON.stringify({
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'fixture' },
          spans: list.map((s) => {
            const startUs = s.startUs ?? BASE_US;
            return {
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name ?? 'op',
              kind: 2,
              startTimeUnixNano: `${startUs}000`,
              endTimeUnixNano: `${startUs + (s.durationUs ?? 1000)}000`,
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({
                key,
                value: { stringValue: v },
              })),
              ...(s.links ? { links: s.links } : {}),
            };
          }),
        },
      ],
    })),
  });
}

/** A 32-hex trace id and 16-hex span ids that read as what they are in failures. */
export const traceIdOf = (n: number): string => `abcdef${String(n).padStart(26, '0')}`;
export const spanIdOf = (n: number): string => `5a${String(n).padStart(14, '0')}`;

export async function postJson(otlpUrl: string, body: string): Promise<Response> {
  return fetch(otlpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/** Two-span traces n..n+count-1. */
export function traces(first: number, count: number): FixtureSpan[] {
  return Array.from({ length: count }, (_, i) => [
    { traceId: traceIdOf(first + i), spanId: spanIdOf(1), service: 'api' },
    { traceId: traceIdOf(first + i), spanId: spanIdOf(2), parentSpanId: spanIdOf(1) },
  ]).flat();
}

/** Posts spans as OTLP/JSON and checks they were all taken. */
export async function send(otlpUrl: string, spans: FixtureSpan[]): Promise<void> {
  const res = await postJson(otlpUrl, otlpJson(spans));
  assert.equal(res.status, 200, await res.text());
}

/** Which of `ids` the query API has. */
export async function traceIds(queryUrl: string, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) {
    const res = await fetch(`${queryUrl}/api/traces/${id}`);
    await res.arrayBuffer();
    if (res.status === 200) found.push(id);
  }
  return found;
}
