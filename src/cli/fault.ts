import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { opt } from '../config/index.js';
import { adminOptions, callAdmin } from './admin-client.js';

const ACTIONS = ['list', 'set', 'clear'] as const;

export const command = defineCommand({
  name: 'fault',
  summary: 'switch injected faults while tracelab up runs (list, set, clear)',
  usage: 'fault [list | [set] <service>.<kind>=<value>… | clear [--all]] [options]',
  options: [
    ...adminOptions,
    {
      name: 'all',
      type: 'boolean',
      default: false,
      description: "with clear: switch off the faults of up's --fault flags too",
    },
  ],
  async run({ values, positionals }) {
    // `fault processing.crash=0.1` is `fault set processing.crash=0.1`.
    const words = positionals[0]?.includes('=') ? ['set', ...positionals] : positionals;
    const [action = 'list', ...specs] = words;
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new CliError(`fault takes list, set or clear (got "${action}")`);
    }
    if (action === 'set' && specs.length === 0) {
      throw new CliError(
        'name the faults: tracelab fault set processing.crash=0.05 notification.latency=2s (a value of off switches one off)',
      );
    }
    if (action !== 'set' && specs.length > 0)
      throw new CliError(`fault ${action} takes no more words`);
    const all = opt.bool(values, 'all');
    if (all && action !== 'clear') throw new CliError('--all goes with fault clear');
    const body = (await callAdmin(opt.str(values, 'admin-url'), `/faults${all ? '?all=1' : ''}`, {
      method: action === 'set' ? 'POST' : action === 'clear' ? 'DELETE' : 'GET',
      ...(action === 'set' ? { body: { set: specs.flatMap((s) => s.split(',')) } } : {}),
    })) as { flags?: string[]; runtime?: string[]; effective?: string[] };
    if (opt.bool(values, 'json')) {
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else if (action === 'clear') {
      process.stdout.write(describeClear(body.effective ?? [], all));
    } else {
      const effective = body.effective ?? [];
      process.stdout.write(
        effective.length
          ? `faults in force:\n${effective.map((f) => `  ${f}`).join('\n')}\n`
          : 'no faults in force\n',
      );
    }
    return 0;
  },
});

/**
 * What `fault clear` did, and what it left: after a plain clear the faults still in force are
 * those of up's --fault flags, which a user who asked to clear would not expect.
 */
export function describeClear(effective: readonly string[], all: boolean): string {
  if (effective.length === 0) {
    return all
      ? "switched off every fault, those of tracelab up's --fault flags too; no faults in force\n"
      : 'cleared the run-time faults; no faults in force\n';
  }
  if (all) return `switched off every fault it could; still in force: ${effective.join(', ')}\n`;
  return `cleared the run-time faults; still in force from tracelab up's --fault flags: ${effective.join(', ')} (tracelab fault clear --all switches them off too)\n`;
}
