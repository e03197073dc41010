import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../errors.js';
import { envelope } from './jaeger-envelope.js';

export const AUTOSCALE_PATH = '/api/tracelab/autoscale';

/**
 * Reads the autoscaler's state (bounds, counts, last scaling events) from where it is kept:
 * `up`'s admin endpoint (the CLI wires a fetch of its GET /autoscale). Resolves with its JSON;
 * rejects when the lab does not answer.
 */
export type AutoscaleSource = () => Promise<unknown>;

/**
 * `GET /api/tracelab/autoscale`: the scaling events for the UI's timelines, read through from
 * the admin endpoint, which stays on loopback and is never reached by the browser. A read
 * only: nothing here changes the lab, so the collector's edge gains no state-changing route.
 */
export function registerAutoscaleApi(
  app: FastifyInstance,
  source: AutoscaleSource | undefined,
): void {
  app.get(AUTOSCALE_PATH, async () => {
    if (!source) throw new CollectorError('AUTOSCALE_NOT_CONFIGURED');
    let data: unknown;
    try {
      data = await source();
    } catch (err) {
      throw new CollectorError(
        'AUTOSCALE_LAB_UNREACHABLE',
        `tracelab up's admin endpoint did not answer: ${(err as Error).message}`,
      );
    }
    return envelope(data, 1);
  });
}
