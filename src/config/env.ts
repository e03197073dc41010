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
