import { defineCommand } from './command.js';
import { adminOptions, assignments, callAdmin } from './admin-client.js';
import { opt } from '../config/index.js';

interface IntensitiesBody {
  intensities: Record<string, string | null>;
  flags: Record<string, string | null>;
  runtime: Record<string, string | null>;
}

export const command = defineCommand({
  name: 'intensity',
  summary: "switch a service's workload intensity while tracelab up runs",
  usage: 'intensity [<service>=<light|medium|heavy|severe|off>…] [options]',
  options: adminOptions,
  details: `Without words: each service's intensity and who set it. With <service>=<intensity>:
every order that service handles from then on runs its workload at that intensity (services
read the switch within a second); off goes back to tracelab up's --intensity for it, else
its mix. An order's own intensity (POST /order?intensity=) still wins.

Services: api, processing, notification, analytics. Intensities: light, medium, heavy, severe.

Examples:
  tracelab intensity processing=heavy
  tracelab intensity processing=off notification=light
  tracelab intensity --admin-url http://127.0.0.1:8079 --json`,
  async run({ values, positionals }) {
    const base = opt.str(values, 'admin-url');
    // Checked whole before anything is switched: a bad word switches nothing.
    const switches = assignments(positionals, 'processing=heavy (off: back to the flags)');
    let body = (await callAdmin(base, '/intensities', { method: 'GET' })) as IntensitiesBody;
    for (const [service, value] of switches) {
      body = (await callAdmin(base, '/intensities', {
        method: 'POST',
        body: { service, intensity: value === 'off' ? null : value },
      })) as IntensitiesBody;
    }
    process.stdout.write(
      opt.bool(values, 'json') ? `${JSON.stringify(body, null, 2)}\n` : describeIntensities(body),
    );
    return 0;
  },
});

/** One line per service: the intensity its orders run at, and who said so. */
export function describeIntensities(body: IntensitiesBody): string {
  const services = Object.keys(body.intensities);
  const width = Math.max(...services.map((s) => s.length));
  return services
    .map((s) => {
      const forced = body.intensities[s];
      const why = body.runtime[s]
        ? 'switched at run time'
        : forced
          ? "up's --intensity"
          : 'drawn from its mix';
      return `${s.padEnd(width)}  ${forced ?? '-'}  (${why})\n`;
    })
    .join('');
}
