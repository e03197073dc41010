import { defineCommand } from './command.js';
import { adminOptions, callAdmin } from './admin-client.js';
import { CliError } from './errors.js';
import { opt } from '../config/index.js';
import { parseBoundsEntry } from '../supervisor/index.js';
import type { AutoscaleView } from '../supervisor/index.js';

export const command = defineCommand({
  name: 'autoscale',
  summary: 'show, set or switch off the autoscaling of consumers while tracelab up runs',
  usage: 'autoscale [show | set <service>=<min>..<max>… | off [<service>…]] [options]',
  options: adminOptions,
  details: `show (or no words): each autoscaled service's bounds, replicas and backlog, the
settings (tracelab up's --autoscale-lag, --autoscale-window-ms, --autoscale-idle-ms,
--autoscale-cooldown-ms) and the last scaling events.
set <service>=MIN..MAX: autoscale that consumer (processing, notification, analytics) between
MIN and MAX replicas (1 to 32): one more while its backlog stays above the threshold for the
window, one fewer once it has stayed at 0 for the idle time, one step at a time with a
cool-down between.
off [<service>…]: no autoscaling of those services (of every one without a name); their
replicas stay as they are (tracelab scale changes them).

Examples:
  tracelab autoscale set processing=1..4
  tracelab autoscale off processing
  tracelab autoscale --json`,
  async run({ values, positionals }) {
    const base = opt.str(values, 'admin-url');
    const [verb = 'show', ...words] = positionals;
    let view: AutoscaleView;
    if (verb === 'show' && words.length === 0) {
      view = (await callAdmin(base, '/autoscale', { method: 'GET' })) as AutoscaleView;
    } else if (verb === 'set' && words.length > 0) {
      // Checked whole before anything is switched: a bad word switches nothing.
      const entries = words.map((w) => {
        const parsed = parseBoundsEntry(w);
        if (!parsed)
          throw new CliError(`"${w}": write <service>=<min>..<max>, e.g. processing=1..4`);
        return parsed;
      });
      view = (await callAdmin(base, '/autoscale', { method: 'GET' })) as AutoscaleView;
      for (const { service, bounds } of entries) {
        view = (await callAdmin(base, '/autoscale', {
          method: 'POST',
          body: { service, ...bounds },
        })) as AutoscaleView;
      }
    } else if (verb === 'off') {
      const paths =
        words.length === 0 ? [''] : words.map((s) => `?service=${encodeURIComponent(s)}`);
      view = (await callAdmin(base, '/autoscale', { method: 'GET' })) as AutoscaleView;
      for (const query of paths) {
        view = (await callAdmin(base, `/autoscale${query}`, { method: 'DELETE' })) as AutoscaleView;
      }
    } else {
      throw new CliError(
        `"${positionals.join(' ')}": write show, set <service>=<min>..<max>…, or off [<service>…]`,
      );
    }
    process.stdout.write(
      opt.bool(values, 'json') ? `${JSON.stringify(view, null, 2)}\n` : describeAutoscale(view),
    );
    return 0;
  },
});

/** The bounds and state per service, the settings, then the last events. */
export function describeAutoscale(view: AutoscaleView): string {
  const lines: string[] = [];
  const services = Object.entries(view.services);
  if (services.length === 0) lines.push('no service is autoscaled');
  for (const [service, b] of services) {
    const now = view.current[service as keyof AutoscaleView['current']];
    lines.push(
      `${service}: ${b.min}..${b.max} replicas, now ${now?.replicas ?? '?'}, backlog ${now?.backlog ?? '-'}`,
    );
  }
  const s = view.settings;
  lines.push(
    `adds one while the backlog stays above ${s.lag} for ${s.windowMs} ms; removes one after ${s.idleMs} ms at 0; ${s.cooldownMs} ms between changes`,
  );
  for (const e of view.events.slice(-10)) {
    lines.push(
      `${new Date(e.at).toISOString()}  ${e.service} ${e.from} → ${e.to}: ${e.reason}${e.error ? ` (failed: ${e.error})` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
