/**
 * Sent with the load generator's own polling (completion: `GET /order/:id`, `GET /analytics`):
 * the services' server spans leave requests carrying it untraced (the same name in
 * `src/telemetry/housekeeping.ts`; this module imports nothing), so polling adds no traces
 * beside the orders it waits for.
 */
export const HOUSEKEEPING_HEADERS: Readonly<Record<string, string>> = {
  'x-tracelab-housekeeping': 'load',
};
