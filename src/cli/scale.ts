import { defineCommand } from './command.js';
import { adminOptions, assignments, callAdmin } from './admin-client.js';
import { CliError } from './errors.js';
import { opt } from '../config/index.js';

interface ReplicasBody {
  replicas: Record<string, number>;
}

/** Scaling down waits for the replicas that stop to finish the orders in hand. */
const SCALE_TIMEOUT_MS = 90_000;

export const command = defineCommand({
  name: 'scale',
  summary: 'start or stop replicas of a consumer service while tracelab up runs',
  usage: 'scale [<service>=<1-32>…] [options]',
  options: adminOptions,
  details: `Without words: each service's replica count. With <service>=N (1 to 32): tracelab up
starts the replicas missing, or stops the last ones gracefully (each finishes the orders in
hand; what it still held goes to the replicas left), and answers once they run or have
stopped. Consumers only: processing, notification, analytics; the API runs once.

Examples:
  tracelab scale notification=3
  tracelab scale notification=1 processing=2`,
  async run({ values, positionals }) {
    const base = opt.str(values, 'admin-url');
    const changes = assignments(positionals, 'notification=3').map(([service, n]) => {
      if (!/^\d+$/.test(n)) {
        throw new CliError(`"${service}=${n}": replicas is a whole number from 1 to 32`);
      }
      return [service, Number(n)] as const;
    });
    let body = (await callAdmin(base, '/replicas', { method: 'GET' })) as ReplicasBody;
    for (const [service, replicas] of changes) {
      body = (await callAdmin(base, '/replicas', {
        method: 'POST',
        body: { service, replicas },
        timeoutMs: SCALE_TIMEOUT_MS,
      })) as ReplicasBody;
    }
    process.stdout.write(
      opt.bool(values, 'json')
        ? `${JSON.stringify(body, null, 2)}\n`
        : `replicas: ${Object.entries(body.replicas)
            .map(([s, n]) => `${s} ${n}`)
            .join(', ')}\n`,
    );
    return 0;
  },
});
