const DURATION_UNITS_US: Readonly<Record<string, number>> = {
  ns: 0.001,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

/** A Go-style duration (`1.2s`, `100ms`, `50us`, `1m30s`; plus `2d`) in whole microseconds. */
export function parseDurationUs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS_US[m[2]!]!;
    end = re.lastIndex;
  }
  if (text === '' || end !== text.length) return undefined;
  return Math.round(total);
}
