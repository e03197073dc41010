import type { AddressInfo } from 'node:net';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { DEFAULT_HOST, DEFAULT_QUERY_PORT, opt, portOption } from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { buildJaegerProxy, DEFAULT_UI_DIR, loadUiAssets } from '../collector/index.js';
import { allowedHostNames, bindWarning, listenFailure } from '../http-guard/index.js';

const options: OptionSpec[] = [
  {
    name: 'jaeger',
    type: 'string',
    env: 'TRACELAB_JAEGER_URL',
    description: `base URL of the Jaeger query service to read traces from, e.g. http://localhost:${DEFAULT_QUERY_PORT}`,
  },
  {
    name: 'host',
    type: 'string',
    env: 'TRACELAB_UI_HOST',
    default: DEFAULT_HOST,
    description: 'interface the UI listens on',
  },
  {
    name: 'public-host',
    type: 'list',
    env: 'TRACELAB_PUBLIC_HOST',
    default: [],
    description:
      'a host name the UI answers to, besides localhost and --host (an IP address is always answered; repeat or comma-separate): any other name in the Host header gets 421, against DNS rebinding',
  },
  portOption({
    name: 'port',
    env: 'TRACELAB_UI_PORT',
    default: 16687,
    description: 'port the UI listens on; 0 picks a free port',
  }),
];

/** --jaeger as a URL, or a message the user can act on. Pure. */
function parseJaegerUrl(text: string | undefined): URL {
  if (text === undefined || text === '') {
    throw new CliError(
      `--jaeger is required: the base URL of Jaeger's query service, e.g. http://localhost:${DEFAULT_QUERY_PORT}`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(
      `--jaeger: "${text}" is not a URL; expected e.g. http://localhost:${DEFAULT_QUERY_PORT}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--jaeger: "${text}" must be an http:// or https:// URL`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new CliError(`--jaeger: "${text}" must be a base URL, without ?query or #fragment`);
  }
  return url;
}

export const command = defineCommand({
  name: 'ui',
  summary: 'the web UI over a real Jaeger: its query API proxied, the UI served',
  usage: 'ui --jaeger <url> [options]',
  options,
  async run({ values }) {
    const jaeger = parseJaegerUrl(opt.maybeStr(values, 'jaeger'));
    const host = opt.str(values, 'host');
    const ui = await loadUiAssets(DEFAULT_UI_DIR);
    if (!ui)
      throw new CliError(`the web UI is not built (no ${DEFAULT_UI_DIR}); run npm run build`, 1);
    const allowedHosts = allowedHostNames({
      bindHost: host,
      publicHosts: opt.list(values, 'public-host'),
    });
    const app = buildJaegerProxy({ jaeger, ui, allowedHosts });
    const port = opt.num(values, 'port');
    try {
      await app.listen({ host, port });
    } catch (err) {
      const message = listenFailure(err, { host, port, portFlag: '--port', hostFlag: '--host' });
      if (message) throw new CliError(message);
      throw err;
    }
    const bound = (app.server.address() as AddressInfo).port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    const warning = bindWarning('the UI', host, [bound], 'read every trace in Jaeger');
    if (warning) process.stderr.write(`tracelab: ${warning}\n`);
    process.stdout.write(`ui: serving on ${url} (traces from Jaeger at ${jaeger.href})\n`);
    const why = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    process.stdout.write(`ui: ${why}, closing\n`);
    await app.close();
    return 0;
  },
});
