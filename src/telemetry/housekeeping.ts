import type { IncomingMessage } from 'node:http';

/**
 * The request header that marks the lab's own housekeeping: `tracelab load` and the exercises
 * polling for completion (`GET /order/:id`, `GET /analytics`). Such requests are not traced, so
 * a learner's search lists orders, not the tools' polling; a request without it (a learner's
 * own `curl`) is traced as any other. `src/load` sends it under the same name.
 */
export const HOUSEKEEPING_HEADER = 'x-tracelab-housekeeping';

/** Incoming requests the server spans leave untraced (server-spans.ts): health checks and housekeeping. */
export function isHousekeeping(req: Pick<IncomingMessage, 'url' | 'headers'>): boolean {
  return req.url === '/health' || req.headers[HOUSEKEEPING_HEADER] !== undefined;
}
