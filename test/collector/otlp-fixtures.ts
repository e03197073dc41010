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
