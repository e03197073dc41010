import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Whether to colour what goes to `stream`: on a terminal, unless NO_COLOR is set. NO_COLOR is
 * the convention many programs share (https://no-color.org), so it is read as such, not as a
 * tracelab option.
 */
export function colorWanted(
  stream: { readonly isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/**
 * tracelab's directory under the user's configuration directory: `$XDG_CONFIG_HOME/tracelab`,
 * else `~/.config/tracelab` (the XDG Base Directory convention, read as such like NO_COLOR).
 */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  return join(base, 'tracelab');
}
