import { defineCommand } from './command.js';
import { adminOptions, callAdmin } from './admin-client.js';
import { CliError } from './errors.js';
import { opt } from '../config/index.js';
import { parseResilienceSettings, ResilienceSpecError } from '../workload/index.js';

interface ResilienceBody {
  flags: string[];
  runtime: string[];
  effective: string[];
}

export const command = defineCommand({
  name: 'resilience',
  summary: "switch the policies around processing's call to inventory while tracelab up runs",
  usage: 'resilience [show | set <setting>=<value>… | clear] [options]',
  options: adminOptions,
  details: `show (the default): the policies in force, the flags' and what was switched at run
time. set: switches settings on every processing replica (they read the switch within a
second; a changed policy starts with a closed breaker). clear: back to tracelab up's flags.

Settings (each also a flag of tracelab up and tracelab service processing):
  timeout_ms=<n>        one attempt's time limit              (--inventory-timeout-ms)
  retries=<n|off>       attempts after the first on a failure (--inventory-retries)
  backoff_ms=<n>        mean wait before the first retry      (--inventory-backoff-ms)
  breaker_failures=<n|off>  failures in a row that open it    (--inventory-breaker-failures)
  breaker_pause_ms=<n|off>  how long it stays open            (--inventory-breaker-pause-ms)
  bulkhead=<n|off>      calls at once per replica             (--inventory-bulkhead)

Examples:
  tracelab resilience
  tracelab resilience set retries=0 breaker_failures=off
  tracelab resilience set timeout_ms=300,retries=5
  tracelab resilience clear`,
  async run({ values, positionals }) {
    const base = opt.str(values, 'admin-url');
    const [verb = 'show', ...words] = positionals;
    let body: ResilienceBody;
    if (verb === 'show' && words.length === 0) {
      body = (await callAdmin(base, '/resilience', { method: 'GET' })) as ResilienceBody;
    } else if (verb === 'clear' && words.length === 0) {
      body = (await callAdmin(base, '/resilience', { method: 'DELETE' })) as ResilienceBody;
    } else if (verb === 'set' && words.length > 0) {
      // Checked whole here before anything is switched: a bad word switches nothing.
      try {
        parseResilienceSettings(words);
      } catch (err) {
        if (err instanceof ResilienceSpecError) throw new CliError(err.message);
        throw err;
      }
      body = (await callAdmin(base, '/resilience', {
        method: 'POST',
        body: { set: words },
      })) as ResilienceBody;
    } else {
      throw new CliError(
        'write tracelab resilience [show | set <setting>=<value>… | clear], e.g. tracelab resilience set retries=0',
      );
    }
    process.stdout.write(
      opt.bool(values, 'json') ? `${JSON.stringify(body, null, 2)}\n` : describe(body),
    );
    return 0;
  },
});

/** The policies in force, one per line, those switched at run time marked. */
function describe(body: ResilienceBody): string {
  const switched = new Set(body.runtime.map((w) => w.split('=')[0]));
  return body.effective
    .map((w) => `${w}${switched.has(w.split('=')[0]) ? '  (switched at run time)' : ''}\n`)
    .join('');
}
